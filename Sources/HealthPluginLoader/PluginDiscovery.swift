import Foundation

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
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if let error = brokenLinkError(path) { throw error }
            throw PluginLoadError(.fileNotFound, path: path, "no such file or folder")
        }
        guard isDirectory.boolValue else { return [path] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw PluginLoadError(.fileNotFound, path: path, "cannot list the folder: \(error.localizedDescription)")
        }
        return names.filter(isPluginFileName).sorted().compactMap { name in
            let file = (path as NSString).appendingPathComponent(name)
            var isSubfolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: file, isDirectory: &isSubfolder)
            if exists { return isSubfolder.boolValue ? nil : file }
            return danglingLinkTarget(file) != nil ? file : nil
        }
    }

    /// Shared libraries in the folder `path` that the name rule leaves out (`probe.so`):
    /// for error messages about a plugin that was not loaded. Empty for a file or an
    /// unreadable folder.
    public static func ignoredLibraries(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
            let names = try? FileManager.default.contentsOfDirectory(atPath: path)
        else { return [] }
        return names.filter { ($0.hasSuffix(".so") || $0.contains(".so.")) && !isPluginFileName($0) }.sorted()
    }

    /// Where `path` points when it is a symbolic link whose target does not exist (or
    /// that loops); `nil` otherwise.
    static func danglingLinkTarget(_ path: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path),
            !FileManager.default.fileExists(atPath: path)
        else { return nil }
        return target
    }

    /// The error for a plugin path that is a broken symbolic link; `nil` for any other path.
    static func brokenLinkError(_ path: String) -> PluginLoadError? {
        danglingLinkTarget(path).map { target in
            PluginLoadError(
                .fileNotFound, path: path, "is a symbolic link to '\(target)', which does not exist (or links in a loop)")
        }
    }
}
