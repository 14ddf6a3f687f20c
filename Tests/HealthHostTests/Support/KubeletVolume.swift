import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A ConfigMap or Secret volume laid out as the kubelet lays it out (its "atomic writer"):
///
///     <volume>/..2026_12_07_23_59_59.123456789/<file>    the data, mode `defaultMode`
///     <volume>/..data -> ..2026_12_07_23_59_59.123456789
///     <volume>/<file> -> ..data/<file>
///
/// An update writes a new timestamped folder, points `..data_tmp` at it and renames that
/// over `..data` (one atomic switch for every file), then removes the old folder. With a
/// pod `fsGroup`, everything is group `fsGroup` and files get the group read bit on top
/// of their mode (the kubelet's `SetVolumeOwnership` for read-only volumes: `0440`
/// added, folders setgid); without one, everything stays root's.
final class KubeletVolume: Sendable {
    let path: String
    let mode: mode_t
    let fsGroup: gid_t?

    init(files: [String: String], mode: mode_t, fsGroup: gid_t?, label: String = "volume") throws {
        path = TestPaths.temporaryDirectory(label)
        self.mode = mode
        self.fsGroup = fsGroup
        chmod(path, 0o755)
        try write(files)
    }

    /// Replaces the volume's files the way the kubelet does when the object changes.
    func update(_ files: [String: String]) throws { try write(files) }

    /// The timestamped folder `..data` points at now.
    var currentDataFolder: String? { try? FileManager.default.destinationOfSymbolicLink(atPath: "\(path)/..data") }

    private func write(_ files: [String: String]) throws {
        let previous = currentDataFolder
        let stamp = Self.timestampFolderName()
        let folder = "\(path)/\(stamp)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        chmod(folder, 0o755)
        for (name, text) in files {
            let file = "\(folder)/\(name)"
            guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8)) else {
                throw RawHTTPClient.ClientError("cannot write \(file)")
            }
            chmod(file, mode)
        }
        try? FileManager.default.removeItem(atPath: "\(path)/..data_tmp")
        try FileManager.default.createSymbolicLink(atPath: "\(path)/..data_tmp", withDestinationPath: stamp)
        guard rename("\(path)/..data_tmp", "\(path)/..data") == 0 else {
            throw RawHTTPClient.ClientError("rename ..data_tmp: \(String(cString: strerror(errno)))")
        }
        for name in files.keys where (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(path)/\(name)")) == nil {
            try FileManager.default.createSymbolicLink(atPath: "\(path)/\(name)", withDestinationPath: "..data/\(name)")
        }
        if let previous { try? FileManager.default.removeItem(atPath: "\(path)/\(previous)") }
        if let fsGroup { applyOwnership(fsGroup) }
    }

    /// The kubelet's `SetVolumeOwnership` for a read-only volume: group `fsGroup` on every
    /// entry (links too), `0440` added to files, `02550` to folders.
    private func applyOwnership(_ group: gid_t) {
        var entries = [path]
        if let names = FileManager.default.subpaths(atPath: path) { entries += names.map { "\(path)/\($0)" } }
        for entry in entries {
            lchown(entry, UInt32.max, group)
            var info = stat()
            guard lstat(entry, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK else { continue }
            let isFolder = (info.st_mode & S_IFMT) == S_IFDIR
            chmod(entry, (info.st_mode & 0o7777) | (isFolder ? 0o2550 : 0o440))
        }
    }

    private static func timestampFolderName() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "..%04d_%02d_%02d_%02d_%02d_%02d.%09d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(now.tv_nsec))
    }
}
