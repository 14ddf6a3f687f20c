import HealthCore
import HealthPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// Which plugin files are the ones shipped with this healthhost binary: known by where
/// they are installed and by their SHA-256, never by the name a plugin gives itself (a
/// third-party plugin that calls itself `redis` is a third-party plugin).
///
/// - Installed (`<prefix>/bin/healthhost`, as the .deb and the image lay it out): a file
///   directly inside `<prefix>/lib/healthhost/plugins` (after symbolic links) whose SHA-256
///   is the one recorded for its file name in `<prefix>/lib/healthhost/bundled-plugins.sha256`,
///   the manifest `scripts/package` writes (``manifestName``, `sha256sum` format). A file
///   swapped into that folder, one the manifest does not list, or a copy of a bundled
///   file anywhere else is third-party. No manifest (or one that is writable by others,
///   or malformed): no file is bundled.
/// - A SwiftPM build folder (the binary's folder holds `healthhost.build`): the library
///   products this package builds there (``fileNames``), by location alone. The folder is
///   the developer's own build: whoever can replace a plugin there can replace the host
///   binary beside it, so a digest written by that same build would protect nothing, and
///   it would go stale at every rebuild of one plugin.
/// - Anywhere else: no file is bundled.
public struct BundledPlugins: Sendable, Equatable {
    /// The file names of the plugins this package builds and ships (`hh-*` products).
    public static let fileNames: Set<String> = [
        "libhh-core.so", "libhh-system.so", "libhh-nagios.so", "libhh-net.so", "libhh-redis.so", "libhh-postgres.so",
        "libhh-mysql.so",
    ]
    /// The names those plugins declare: only to point out a third-party plugin that
    /// borrows one (a name never makes a plugin bundled).
    public static let pluginNames: Set<String> = ["core", "system", "nagios", "net", "redis", "postgres", "mysql"]
    /// The manifest's file name, in `<prefix>/lib/healthhost` beside the `plugins` folder.
    public static let manifestName = "bundled-plugins.sha256"

    /// How the bundled plugins of this binary are recognised.
    public enum Layout: Sendable, Equatable {
        /// `<prefix>/bin/healthhost`: by folder and the digests in `manifest`.
        case installed(manifest: String)
        /// A SwiftPM build folder: by folder and product file name.
        case buildTree
        /// Neither: nothing is bundled.
        case none
    }

    /// The folder the bundled plugins are in (symbolic links resolved), if this binary has one.
    public let folder: String?
    /// See ``Layout``.
    public let layout: Layout
    /// Installed: file name to lowercase hex SHA-256, from the manifest.
    let digests: [String: String]
    /// Why no file can be bundled (the manifest is missing or not to be trusted); `nil` when
    /// files can be.
    public let unavailable: String?

    init(folder: String?, layout: Layout, digests: [String: String] = [:], unavailable: String? = nil) {
        self.folder = folder.map { FilePaths.resolvingLinks(FilePaths.absolute($0)) }
        self.layout = layout
        self.digests = digests
        self.unavailable = unavailable
    }

    /// No file is bundled (every plugin is third-party).
    public static let nothing = BundledPlugins(
        folder: nil, layout: .none,
        unavailable: "this healthhost has no bundled plugin folder: it is neither installed as <prefix>/bin/healthhost "
            + "nor run from a SwiftPM build folder")

    /// The bundled plugins of the binary this process runs (`/proc/self/exe`), found once.
    public static let ofThisHost: BundledPlugins = locate(executable: runningExecutable())

    /// The bundled plugins of the healthhost binary at `executable` (a real path).
    public static func locate(executable: String) -> BundledPlugins {
        let binaryFolder = FilePaths.parent(of: executable)
        if FileKind(FilePaths.join(binaryFolder, "healthhost.build")) == .directory {
            return BundledPlugins(folder: binaryFolder, layout: .buildTree)
        }
        guard FilePaths.lastComponent(of: binaryFolder) == "bin" else { return .nothing }
        let library = FilePaths.join(FilePaths.parent(of: binaryFolder), "lib/healthhost")
        return installed(folder: FilePaths.join(library, "plugins"), manifest: FilePaths.join(library, manifestName))
    }

    /// The plugins in `folder` whose digests `manifest` records (`sha256sum` lines:
    /// 64 hex digits, two spaces or a space and `*`, a bare file name).
    public static func installed(folder: String, manifest: String) -> BundledPlugins {
        switch readManifest(manifest) {
        case .success(let digests):
            return BundledPlugins(folder: folder, layout: .installed(manifest: manifest), digests: digests)
        case .failure(let reason):
            return BundledPlugins(
                folder: folder, layout: .installed(manifest: manifest),
                unavailable: "\(reason), so no plugin counts as bundled")
        }
    }

    /// A SwiftPM build folder: the products this package builds in `folder`.
    public static func buildTree(_ folder: String) -> BundledPlugins {
        BundledPlugins(folder: folder, layout: .buildTree)
    }

    /// Whether `file` is one of the bundled plugins, and how that was decided.
    public func origin(of file: String) -> PluginOrigin {
        origin(of: file, digests: FileDigests())
    }

    /// ``origin(of:)``, reading the file's digest (when one is needed) from `digests`.
    func origin(of file: String, digests fileDigests: FileDigests) -> PluginOrigin {
        if let unavailable { return .thirdParty(unavailable) }
        guard let folder else { return .thirdParty("healthhost has no bundled plugin folder") }
        let real = FilePaths.resolvingLinks(FilePaths.absolute(file))
        guard FilePaths.parent(of: real) == folder else {
            return .thirdParty("not in healthhost's bundled plugin folder \(folder)")
        }
        let name = FilePaths.lastComponent(of: real)
        switch layout {
        case .none:
            return .thirdParty("healthhost has no bundled plugin folder")
        case .buildTree:
            guard Self.fileNames.contains(name) else {
                return .thirdParty("\(name) is not a plugin this package builds")
            }
            return .bundled("built with this healthhost in \(folder)", sha256: nil)
        case .installed(let manifest):
            guard let expected = digests[name] else { return .thirdParty("\(name) is not listed in \(manifest)") }
            guard let digest = fileDigests.sha256(ofFile: real) else { return .thirdParty("\(real) cannot be read") }
            guard digest == expected else {
                return .thirdParty(
                    "its SHA-256 \(digest.prefix(16))… is not the \(expected.prefix(16))… \(manifest) records for \(name)")
            }
            return .bundled("installed in \(folder), SHA-256 as recorded in \(manifest)", sha256: digest)
        }
    }

    /// The manifest's digests by file name, or why it is not used.
    static func readManifest(_ path: String) -> Result<[String: String], ManifestError> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(ManifestError("\(path) is missing")) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(ManifestError("\(path) is not a regular file")) }
        // The same rule as for plugin files: whoever can change the list picks the code
        // that runs inside the host.
        if (info.st_mode & (S_IWGRP | S_IWOTH)) != 0 {
            return .failure(ManifestError("\(path) is writable by group or others"))
        }
        if info.st_uid != 0 && info.st_uid != geteuid() {
            return .failure(ManifestError("\(path) is owned by uid \(info.st_uid), neither root nor healthhost's own user"))
        }
        guard let text = readSmallFile(path, limit: 64 * 1024) else {
            return .failure(ManifestError("\(path) cannot be read (or is over 64 KiB)"))
        }
        var digests: [String: String] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let digest = line.prefix(64)
            let rest = line.dropFirst(64)
            let hex = digest.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
            guard digest.count == 64, hex, rest.hasPrefix("  ") || rest.hasPrefix(" *") else {
                return .failure(ManifestError("\(path) line \(index + 1) is not `SHA256  FILE` (sha256sum's format)"))
            }
            let name = String(rest.dropFirst(2))
            guard !name.isEmpty, !name.contains("/") else {
                return .failure(ManifestError("\(path) line \(index + 1) names '\(name)', not a file name"))
            }
            digests[name] = String(digest)
        }
        return .success(digests)
    }

    /// The real path of the running executable; after an upgrade replaced the file, the
    /// path it had (the kernel appends " (deleted)").
    static func runningExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "/proc/self/exe" }
        var path = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return FilePaths.resolvingLinks(path)
    }

    private static func readSmallFile(_ path: String, limit: Int) -> String? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(contentsOf: chunk.prefix(count))
        }
        return nil
    }

    /// Why the manifest is not used.
    struct ManifestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// Whether a plugin file is one of healthhost's bundled plugins (see ``BundledPlugins``).
public enum PluginOrigin: Sendable, Equatable {
    /// Bundled: how it was recognised; `sha256` when its digest was checked.
    case bundled(String, sha256: String?)
    /// Third-party: why it is not a bundled plugin.
    case thirdParty(String)

    /// Whether it is bundled.
    public var isBundled: Bool {
        if case .bundled = self { return true }
        return false
    }

    /// `bundled with healthhost (…)` or `third-party (…)`.
    public var description: String {
        switch self {
        case .bundled(let how, _): "bundled with healthhost (\(how))"
        case .thirdParty(let why): "third-party (\(why))"
        }
    }
}
