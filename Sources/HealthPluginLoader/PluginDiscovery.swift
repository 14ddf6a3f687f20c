import Foundation

/// Turns the configured plugin paths into plugin files.
///
/// A path naming a file is used whatever the file is called. A path naming a folder
/// contributes the regular files directly inside it whose names match `hh-*.so` or
/// `libhh-*.so` (sorted by name); other files and sub-folders are ignored, so helper
/// libraries can live next to plugins.
public enum PluginDiscovery {
    /// Whether a file inside a plugin folder is taken as a plugin.
    public static func isPluginFileName(_ name: String) -> Bool {
        name.hasSuffix(".so") && (name.hasPrefix("hh-") || name.hasPrefix("libhh-"))
    }

    /// The plugin files behind one configured path.
    public static func files(at path: String) throws(PluginLoadError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
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
            return exists && !isSubfolder.boolValue ? file : nil
        }
    }
}
