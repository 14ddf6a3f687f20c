import HealthCore
import HealthPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// Which plugin files the host is willing to open, checked before anything is opened:
///
/// - only regular files (after symbolic links): a FIFO would block the loader forever;
/// - like OpenSSH's `StrictModes`: neither the file nor the folder it is found in may be
///   writable by group or others, or owned by anyone but root or the host's own user
///   (whoever can change a plugin can run code as the host);
/// - with ``allowedDigests`` set, only files whose SHA-256 is on the list (images that pin
///   their plugins).
public struct PluginTrust: Sendable {
    /// Check ownership and modes (`plugins.trust: strict`, the default); `false` is
    /// `relaxed`, for development only.
    public var checksOwnershipAndModes: Bool
    /// Lowercase hex SHA-256 digests; empty allows any file.
    public var allowedDigests: Set<String>

    /// Creates a policy.
    public init(checksOwnershipAndModes: Bool = true, allowedDigests: Set<String> = []) {
        self.checksOwnershipAndModes = checksOwnershipAndModes
        self.allowedDigests = Set(allowedDigests.map { $0.lowercased() })
    }

    /// No checks but the regular-file rule (tests of other things, `relaxed`).
    public static let relaxed = PluginTrust(checksOwnershipAndModes: false)

    /// Throws when `path` may not be opened; says which rule and how to fix it.
    public func check(_ path: String) throws(PluginLoadError) {
        try check(path, digests: FileDigests())
    }

    /// ``check(_:)``, reading the file's digest (when one is needed) from `digests`.
    func check(_ path: String, digests: FileDigests) throws(PluginLoadError) {
        var info = stat()
        // A missing file or broken link: the loader's own message says it better.
        guard stat(path, &info) == 0 else { return }
        try Self.requireRegularFile(info, at: path)
        if checksOwnershipAndModes {
            try Self.requireSafe(info, of: path, what: "the file", at: path)
            let folder = FilePaths.parent(of: FilePaths.resolvingLinks(FilePaths.absolute(path)))
            var folderInfo = stat()
            if stat(folder, &folderInfo) == 0 {
                try Self.requireSafe(folderInfo, of: folder, what: "its folder \(folder)", at: path)
            }
        }
        if !allowedDigests.isEmpty {
            let digest = digests.sha256(ofFile: path) ?? "unreadable"
            guard allowedDigests.contains(digest) else {
                throw PluginLoadError(
                    .untrusted, path: path,
                    "its SHA-256 \(digest) is not in plugins.allowed_digests (\(allowedDigests.count) digest(s) allowed)")
            }
        }
    }

    /// Throws unless `path` is a regular file (after symbolic links).
    static func requireRegularFile(_ path: String) throws(PluginLoadError) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        try requireRegularFile(info, at: path)
    }

    private static func requireRegularFile(_ info: stat, at path: String) throws(PluginLoadError) {
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw PluginLoadError(
                .fileNotFound, path: path, "is not a regular file (it is \(kind(info.st_mode))); only regular files are opened")
        }
    }

    private static func requireSafe(_ info: stat, of target: String, what: String, at path: String) throws(PluginLoadError) {
        let mode = info.st_mode & 0o7777
        // A sticky folder (/tmp) is writable by all but its files are not replaceable
        // by others; the file itself is still checked.
        let isStickyFolder = (info.st_mode & S_IFMT) == S_IFDIR && (info.st_mode & S_ISVTX) != 0
        if (mode & (S_IWGRP | S_IWOTH)) != 0 && !isStickyFolder {
            throw PluginLoadError(
                .untrusted, path: path,
                "\(what) is writable by group or others (mode \(String(mode, radix: 8))): anyone who can change it runs "
                    + "code as healthhost; run `chmod go-w \(target)` (plugins.trust: relaxed turns this off, for development only)")
        }
        let owner = info.st_uid
        let me = geteuid()
        if owner != 0 && owner != me {
            throw PluginLoadError(
                .untrusted, path: path,
                "\(what) is owned by uid \(owner), neither root nor healthhost's own user (uid \(me)) "
                    + "(plugins.trust: relaxed turns this off, for development only)")
        }
    }

    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFDIR: "a folder"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}
