#if canImport(Glibc)
import Glibc
import HealthPOSIX
#endif
import HealthCore

/// Turns the configured plugin paths into plugin files.
///
/// A path naming a file is used whatever the file is called. A path naming a folder
/// contributes the regular files directly inside it whose names match `hh-*.so` or
/// `libhh-*.so` (sorted by name); other files and sub-folders are ignored, so helper
/// libraries can live next to plugins. A matching symbolic link whose target is missing
/// is not ignored: it is returned, so that loading it reports the broken link instead
/// of the plugin silently disappearing.
public enum PluginDiscovery {
    /// Whether a file inside a plugin folder is taken as a plugin.
    public static func isPluginFileName(_ name: String) -> Bool {
        name.hasSuffix(".so") && (name.hasPrefix("hh-") || name.hasPrefix("libhh-"))
    }

    /// The plugin files behind one configured path.
    public static func files(at path: String) throws(PluginLoadError) -> [String] {
        guard let kind = FileKind(path) else {
            if let error = brokenLinkError(path) { throw error }
            throw PluginLoadError(.fileNotFound, path: path, "no such file or folder")
        }
        guard kind == .directory else { return [path] }
        let names: [String]
        switch FileKind.names(inFolder: path) {
        case .success(let listed): names = listed
        case .failure(let reason): throw PluginLoadError(.fileNotFound, path: path, "cannot list the folder: \(reason)")
        }
        return names.filter(isPluginFileName).sorted().compactMap { name in
            let file = FilePaths.join(path, name)
            if let kind = FileKind(file) { return kind == .directory ? nil : file }
            return danglingLinkTarget(file) != nil ? file : nil
        }
    }

    /// Shared libraries in the folder `path` that the name rule leaves out (`probe.so`):
    /// for error messages about a plugin that was not loaded. Empty for a file or an
    /// unreadable folder.
    public static func ignoredLibraries(at path: String) -> [String] {
        guard FileKind(path) == .directory, case .success(let names) = FileKind.names(inFolder: path) else { return [] }
        return names.filter { ($0.hasSuffix(".so") || $0.contains(".so.")) && !isPluginFileName($0) }.sorted()
    }

    /// Where `path` points when it is a symbolic link whose target does not exist (or
    /// that loops); `nil` otherwise.
    static func danglingLinkTarget(_ path: String) -> String? {
        guard FileKind(path) == nil else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length >= 0 else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The error for a plugin path that is a broken symbolic link; `nil` for any other path.
    static func brokenLinkError(_ path: String) -> PluginLoadError? {
        danglingLinkTarget(path).map { target in
            PluginLoadError(
                .fileNotFound, path: path, "is a symbolic link to '\(target)', which does not exist (or links in a loop)")
        }
    }
}

/// What a path names, following symbolic links (stat); `nil` when nothing is there.
enum FileKind: Equatable {
    case directory
    case other

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self = info.st_mode & S_IFMT == S_IFDIR ? .directory : .other
    }

    /// The entries of the folder `path` (without `.` and `..`), or why it cannot be read.
    static func names(inFolder path: String) -> Result<[String], FolderError> {
        guard let folder = opendir(path) else { return .failure(FolderError(errno)) }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }
}

/// Why a folder could not be listed: the system's words for an errno.
struct FolderError: Error, CustomStringConvertible {
    let number: Int32
    init(_ number: Int32) { self.number = number }
    var description: String { String(cString: strerror(number)) }
}
