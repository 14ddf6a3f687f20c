import Foundation
import HealthCore
@testable import HealthPluginLoader
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Start-up reads each plugin file's SHA-256 once: the trust rules, the bundled-plugin
/// identity and the loaded plugin's `sha256` share it (an installed bundled plugin was
/// hashed twice, three times with `plugins.allowed_digests`). Counted, not timed.
@Suite(.timeLimit(.minutes(2)))
struct LoaderDigestTests {
    @Test func anInstalledBundledPluginIsHashedOnceAtStartUp() throws {
        let (plugins, manifest, digest) = try installedFolder()
        let bundled = BundledPlugins.installed(folder: plugins, manifest: manifest)
        let loader = PluginLoader(
            policy: .failFast, logger: Logger(label: "test"),
            isolation: IsolationPolicy(defaultIsolation: .none, bundled: bundled),
            trust: PluginTrust(checksOwnershipAndModes: false, allowedDigests: [digest]))
        let digests = FileDigests()
        let set = try loader.load(
            paths: [plugins + "/libhh-core.so"], demand: .every, settings: { _ in PluginSettings() }, digests: digests)
        defer { set.shutdownAll() }
        let core = try #require(set.plugin(named: "core"))
        #expect(core.placement.isBundled, "\(core.placement.description)")
        #expect(core.sha256 == digest)
        #expect(digests.computedCount == 1)
    }

    @Test func aPluginFromABuildFolderIsHashedOnceToo() throws {
        let folder = TestPaths.temporaryDirectory("digest-build")
        try FileManager.default.copyItem(atPath: TestPaths.builtLibrary("libhh-core.so"), toPath: folder + "/libhh-core.so")
        let loader = PluginLoader(
            policy: .failFast, logger: Logger(label: "test"),
            isolation: IsolationPolicy(defaultIsolation: .none, bundled: .buildTree(folder)), trust: .relaxed)
        let digests = FileDigests()
        let set = try loader.load(
            paths: [folder + "/libhh-core.so"], demand: .every, settings: { _ in PluginSettings() }, digests: digests)
        defer { set.shutdownAll() }
        #expect(set.plugin(named: "core")?.sha256 == FileDigest.sha256(ofFile: folder + "/libhh-core.so"))
        #expect(digests.computedCount == 1)
    }

    @Test func theMemoHashesEachFileOnceUnderAnyOfItsNames() throws {
        let folder = TestPaths.temporaryDirectory("digest-memo")
        let file = folder + "/a.so"
        try Data("plugin".utf8).write(to: URL(fileURLWithPath: file))
        symlink(file, folder + "/b.so")
        let digests = FileDigests()
        #expect(digests.known(file) == nil)
        let first = digests.sha256(ofFile: file)
        #expect(digests.sha256(ofFile: folder + "/b.so") == first)
        #expect(digests.known(file) == first)
        #expect(digests.computedCount == 1)
    }

    /// `<prefix>/lib/healthhost/plugins/libhh-core.so` and the manifest recording its digest.
    private func installedFolder() throws -> (plugins: String, manifest: String, digest: String) {
        let library = TestPaths.temporaryDirectory("digest-installed") + "/lib/healthhost"
        let plugins = library + "/plugins"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.builtLibrary("libhh-core.so"), toPath: plugins + "/libhh-core.so")
        let digest = try #require(FileDigest.sha256(ofFile: plugins + "/libhh-core.so"))
        let manifest = library + "/" + BundledPlugins.manifestName
        try "\(digest)  libhh-core.so\n".write(toFile: manifest, atomically: true, encoding: .utf8)
        chmod(manifest, 0o644)
        return (plugins, manifest, digest)
    }
}
