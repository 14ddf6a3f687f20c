#if canImport(Glibc)
import Glibc
#endif

/// Path arithmetic on strings, as `URL(fileURLWithPath:)` does it, without Foundation.
public enum FilePaths {
    /// `path` made absolute against `directory` (the working directory when `nil`), with
    /// `.` and `..` steps and repeated slashes removed: `standardizedFileURL.path`.
    public static func absolute(_ path: String, in directory: String? = nil) -> String {
        if path.hasPrefix("/") { return normalized(path) }
        return normalized((directory ?? workingDirectory()) + "/" + path)
    }

    /// The folder that holds `path` (made absolute): `/etc/healthhost` for
    /// `/etc/healthhost/healthhost.yaml`.
    public static func parent(of path: String) -> String {
        let components = absolute(path).split(separator: "/")
        return "/" + components.dropLast().joined(separator: "/")
    }

    /// The last component: `hh-core.so` for `/usr/lib/healthhost/hh-core.so`.
    public static func lastComponent(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// `directory` and `name` joined by one slash.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// An absolute path without `.`, `..` (never above `/`) and empty steps.
    static func normalized(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// The process's working directory (`/` if it cannot be read).
    public static func workingDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "/" }
        defer { free(buffer) }
        return String(cString: buffer)
    }

    /// `path` with every symbolic link resolved (realpath); `path` itself when a part of
    /// it does not exist.
    public static func resolvingLinks(_ path: String) -> String {
        guard let buffer = realpath(path, nil) else { return path }
        defer { free(buffer) }
        return String(cString: buffer)
    }
}
