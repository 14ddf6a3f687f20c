import Foundation
import HealthPluginLoader
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Bundled plugins are known by where they are installed and by their digest, never by
/// the name a plugin declares: a third-party plugin calling itself `redis` runs in a
/// worker (its crash fails its check, the host lives on), a copy of a bundled file
/// elsewhere or a file swapped into the bundled folder is third-party, and the real
/// bundled plugins still run in the host process.
@Suite(.timeLimit(.minutes(5))) struct BundledPluginIdentityTests {
    /// A third-party plugin that declares the name `redis`; its `ping` segfaults.
    static let impostorSource = """
        #include "healthhost_plugin.h"
        #include <stddef.h>

        static int check_ping(const hh_call *call, hh_result *out) {
            volatile int *nowhere = NULL;
            (void)call; (void)out;
            *nowhere = 1;
            return HH_PASS;
        }

        static int check_ok(const hh_call *call, hh_result *out) {
            (void)call;
            hh_result_set_message(out, "impostor ok");
            return HH_PASS;
        }

        static const hh_check checks[] = {
            {.name = "ping", .run = check_ping, .flags = HH_CHECK_THREAD_SAFE},
            {.name = "ok", .run = check_ok, .flags = HH_CHECK_THREAD_SAFE},
        };

        static const hh_plugin plugin = {
            HH_PLUGIN_HEADER,
            .name = "redis",
            .version = "6.6.6",
            HH_PLUGIN_CHECKS(checks),
        };

        HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }

        """

    /// The impostor, compiled as a plugin author would (`libhh-redis.so`, like the real one).
    private func impostor() async throws -> String {
        let source = TestPaths.temporaryDirectory("impostor-src") + "/impostor.c"
        try Self.impostorSource.write(toFile: source, atomically: true, encoding: .utf8)
        return try await PluginCompiler.build(source: source, fileName: "libhh-redis.so")
    }

    /// A config file for `plugins`, no `plugins.isolation` unless given (the defaults).
    private func configFile(paths: [String], checks: String? = nil, isolation: String? = nil) throws -> String {
        var yaml = """
            listen: { host: 127.0.0.1, port: 0 }
            auth: { disabled: true }
            plugins:
              paths: [\(paths.map { "\"\($0)\"" }.joined(separator: ", "))]

            """
        if let isolation { yaml += "  isolation: \(isolation)\n" }
        if let checks { yaml += "checks:\n\(checks)\n" }
        let file = TestPaths.temporaryDirectory("bundled-config") + "/healthhost.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The `runs:` line of plugin `name` in a `healthhost plugins` listing.
    private func runsLine(_ listing: String, plugin name: String) -> String? {
        var current: String?
        for line in listing.split(separator: "\n") {
            if !line.hasPrefix(" ") { current = line.split(separator: " ").first.map(String.init) }
            if current == name, line.hasPrefix("  runs:") {
                return line.dropFirst("  runs:".count).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// `<prefix>/bin/healthhost` (a hard link to the built binary, else a copy) with the
    /// real core and redis plugins in `<prefix>/lib/healthhost/plugins` and the manifest
    /// `scripts/bundled-manifest` writes, as `scripts/package` lays them out.
    private func installedPrefix() async throws -> (binary: String, plugins: String, manifest: String) {
        let prefix = TestPaths.temporaryDirectory("installed")
        let plugins = prefix + "/lib/healthhost/plugins"
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        for folder in [prefix, prefix + "/bin", prefix + "/lib", prefix + "/lib/healthhost", plugins] { chmod(folder, 0o755) }
        let binary = prefix + "/bin/healthhost"
        let built = URL(fileURLWithPath: TestPaths.executable).resolvingSymlinksInPath().path
        if link(built, binary) != 0 { try FileManager.default.copyItem(atPath: built, toPath: binary) }
        for name in ["libhh-core.so", "libhh-redis.so"] {
            try FileManager.default.copyItem(atPath: TestPaths.builtLibrary(name), toPath: plugins + "/" + name)
        }
        let manifest = prefix + "/lib/healthhost/" + BundledPlugins.manifestName
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/bundled-manifest").path
        let written = try await runOffThePool("/bin/sh", ["-c", "'\(script)' '\(plugins)' > '\(manifest)'"])
        #expect(written.status == 0, "\(written.output)")
        return (binary, plugins, manifest)
    }

    // MARK: Identity, without a process

    @Test func anInstalledPluginIsBundledOnlyInItsFolderWithItsRecordedDigest() async throws {
        let (binary, plugins, manifest) = try await installedPrefix()
        let bundled = BundledPlugins.locate(executable: binary)
        #expect(bundled.layout == .installed(manifest: manifest))
        #expect(bundled.unavailable == nil)
        #expect(bundled.origin(of: plugins + "/libhh-core.so").isBundled)
        #expect(bundled.origin(of: plugins + "/libhh-redis.so").isBundled)
        // Reached through a symbolic link from elsewhere: still the installed file.
        let elsewhere = TestPaths.temporaryDirectory("elsewhere")
        symlink(plugins + "/libhh-core.so", elsewhere + "/libhh-core.so")
        #expect(bundled.origin(of: elsewhere + "/libhh-core.so").isBundled)
        // A copy anywhere else is not.
        try FileManager.default.copyItem(atPath: plugins + "/libhh-redis.so", toPath: elsewhere + "/libhh-redis.so")
        #expect(
            bundled.origin(of: elsewhere + "/libhh-redis.so")
                == .thirdParty("not in healthhost's bundled plugin folder \(plugins)"))
        // A file the manifest does not list, and a changed one, in the folder itself.
        try FileManager.default.copyItem(atPath: try await impostor(), toPath: plugins + "/libhh-extra.so")
        #expect(bundled.origin(of: plugins + "/libhh-extra.so") == .thirdParty("libhh-extra.so is not listed in \(manifest)"))
        let redis = try #require(FileHandle(forWritingAtPath: plugins + "/libhh-redis.so"))
        redis.seekToEndOfFile()
        redis.write(Data([0]))
        redis.closeFile()
        let changed = bundled.origin(of: plugins + "/libhh-redis.so")
        #expect(!changed.isBundled)
        #expect(changed.description.contains("is not the "), "\(changed)")
        #expect(changed.description.contains("\(manifest) records for libhh-redis.so"), "\(changed)")
        // The manifest is read when the identity is made: a new identity sees the change too.
        #expect(!BundledPlugins.locate(executable: binary).origin(of: plugins + "/libhh-redis.so").isBundled)
    }

    @Test func withoutATrustworthyManifestNothingIsBundled() async throws {
        let (binary, plugins, manifest) = try await installedPrefix()
        chmod(manifest, 0o666)
        let writable = BundledPlugins.locate(executable: binary)
        #expect(writable.unavailable == "\(manifest) is writable by group or others, so no plugin counts as bundled")
        #expect(!writable.origin(of: plugins + "/libhh-core.so").isBundled)
        chmod(manifest, 0o644)
        try "not a digest  libhh-core.so\n".write(toFile: manifest, atomically: false, encoding: .utf8)
        let malformed = BundledPlugins.locate(executable: binary)
        #expect(malformed.unavailable?.contains("line 1 is not `SHA256  FILE`") == true, "\(String(describing: malformed.unavailable))")
        #expect(!malformed.origin(of: plugins + "/libhh-core.so").isBundled)
        try FileManager.default.removeItem(atPath: manifest)
        let missing = BundledPlugins.locate(executable: binary)
        #expect(missing.unavailable == "\(manifest) is missing, so no plugin counts as bundled")
        #expect(!missing.origin(of: plugins + "/libhh-core.so").isBundled)
        // A binary in neither layout has no bundled plugins at all.
        #expect(BundledPlugins.locate(executable: "/opt/somewhere/healthhost") == .nothing)
    }

    @Test func inTheBuildFolderThePackagesOwnProductsAreBundled() throws {
        let folder = URL(fileURLWithPath: TestPaths.builtLibrary("libhh-redis.so")).resolvingSymlinksInPath()
            .deletingLastPathComponent().path
        let built = BundledPlugins.locate(executable: URL(fileURLWithPath: TestPaths.executable).resolvingSymlinksInPath().path)
        #expect(built == .buildTree(folder))
        // The test process runs from the same build folder.
        #expect(BundledPlugins.ofThisHost == built)
        #expect(built.origin(of: TestPaths.builtLibrary("libhh-redis.so")).isBundled)
        #expect(built.origin(of: TestPaths.builtLibrary("libhh-core.so")).isBundled)
        // A fixture library built there is not one of the shipped plugins.
        #expect(
            built.origin(of: TestPaths.builtLibrary("libsdktest-plugin.so"))
                == .thirdParty("libsdktest-plugin.so is not a plugin this package builds"))
    }

    @Test func theConfigDecidesFirstThenTheFileNeverTheName() {
        let bundled = PluginOrigin.bundled("built with this healthhost in /b", sha256: nil)
        let third = PluginOrigin.thirdParty("not in healthhost's bundled plugin folder /b")
        let policy = IsolationPolicy(defaultIsolation: .process, byName: ["mine": .none, "system": .process], bundled: .nothing)
        #expect(policy.decision(name: "redis", origin: third) == IsolationDecision(.process, third.description, isBundled: false))
        #expect(policy.decision(name: "redis", origin: bundled) == IsolationDecision(.none, bundled.description, isBundled: true))
        #expect(policy.decision(name: "mine", origin: third).isolation == PluginIsolation.none)
        #expect(policy.decision(name: "mine", origin: third).reason.hasPrefix("as plugins.isolation.mine says; third-party"))
        #expect(policy.decision(name: "system", origin: bundled).isolation == .process)
        let inProcess = IsolationPolicy(defaultIsolation: .none, bundled: .nothing)
        #expect(inProcess.decision(name: "redis", origin: third).isolation == PluginIsolation.none)
        #expect(inProcess.decision(name: "redis", origin: third).reason.hasPrefix("as plugins.isolation.default says"))
        #expect(
            IsolationDecision(.process, third.description, isBundled: false).description
                == "in a worker process (isolation: process), third-party (not in healthhost's bundled plugin folder /b)")
    }

    // MARK: The real binary

    @Test func aThirdPartyPluginCallingItselfRedisRunsInAWorkerAndItsCrashDoesNotKillTheHost() async throws {
        let file = try configFile(
            paths: [try await impostor()],
            checks: "  - { name: boom, plugin: redis, check: ping }\n  - { name: ok, plugin: redis, check: ok }")
        let listing = try await runOffThePool(TestPaths.executable, ["plugins", "--config", file])
        #expect(listing.status == 0, "\(listing.output)")
        let runs = try #require(runsLine(listing.output, plugin: "redis"), "\(listing.output)")
        #expect(runs.hasPrefix("in a worker process (isolation: process), third-party (not in healthhost's bundled plugin folder"), "\(runs)")
        let check = try await runOffThePool(
            "/bin/sh", ["-c", "'\(TestPaths.executable)' check --config '\(file)' --checks boom; echo \"exit=$?\""])
        #expect(check.output.contains("plugin crashed: signal 11 (SIGSEGV) while running 'boom'"), "\(check.output)")
        #expect(check.output.contains("exit=2\n"), "fails, not killed (139): \(check.output)")
        // The operator, not the plugin, can still choose the host process for it.
        let chosen = try configFile(paths: [try await impostor()], isolation: "{ redis: none }")
        let chosenListing = try await runOffThePool(TestPaths.executable, ["plugins", "--config", chosen])
        #expect(
            runsLine(chosenListing.output, plugin: "redis")?.hasPrefix(
                "in the host process (isolation: none), as plugins.isolation.redis says; third-party") == true,
            "\(chosenListing.output)")
    }

    @Test func theBuiltPluginsRunInTheHostAndACopyOfOneElsewhereInAWorker() async throws {
        let copy = TestPaths.temporaryDirectory("redis-copy") + "/libhh-redis.so"
        try FileManager.default.copyItem(atPath: TestPaths.builtLibrary("libhh-redis.so"), toPath: copy)
        let file = try configFile(paths: [TestPaths.builtLibrary("libhh-core.so"), copy])
        let listing = try await runOffThePool(TestPaths.executable, ["plugins", "--config", file])
        #expect(listing.status == 0, "\(listing.output)")
        #expect(
            runsLine(listing.output, plugin: "core")?.hasPrefix(
                "in the host process (isolation: none), bundled with healthhost (built with this healthhost in") == true,
            "\(listing.output)")
        #expect(
            runsLine(listing.output, plugin: "redis")?.hasPrefix(
                "in a worker process (isolation: process), third-party (not in healthhost's bundled plugin folder") == true,
            "\(listing.output)")
    }

    @Test func anInstalledHostRunsItsOwnPluginsInProcessAndASwappedFileInAWorker() async throws {
        let (binary, plugins, manifest) = try await installedPrefix()
        let realPlugins = URL(fileURLWithPath: plugins).resolvingSymlinksInPath().path
        let file = try configFile(
            paths: [plugins],
            checks: "  - { name: boom, plugin: redis, check: ping }\n  - { name: yes, plugin: core, check: \"true\" }")
        let installed = "bundled with healthhost (installed in \(realPlugins), SHA-256 as recorded in \(manifest))"
        let before = try await runOffThePool(binary, ["plugins", "--config", file])
        #expect(before.status == 0, "\(before.output)")
        #expect(runsLine(before.output, plugin: "core") == "in the host process (isolation: none), \(installed)", "\(before.output)")
        #expect(runsLine(before.output, plugin: "redis") == "in the host process (isolation: none), \(installed)", "\(before.output)")

        // A file swapped in under the bundled file's name: a worker, and its crash fails the check.
        try FileManager.default.removeItem(atPath: plugins + "/libhh-redis.so")
        try FileManager.default.copyItem(atPath: try await impostor(), toPath: plugins + "/libhh-redis.so")
        let after = try await runOffThePool(binary, ["plugins", "--config", file])
        #expect(runsLine(after.output, plugin: "core") == "in the host process (isolation: none), \(installed)", "\(after.output)")
        let swapped = try #require(runsLine(after.output, plugin: "redis"), "\(after.output)")
        #expect(swapped.hasPrefix("in a worker process (isolation: process), third-party (its SHA-256 "), "\(swapped)")
        let check = try await runOffThePool(
            "/bin/sh", ["-c", "'\(binary)' check --config '\(file)' --checks boom,yes; echo \"exit=$?\""])
        #expect(check.output.contains("plugin crashed: signal 11 (SIGSEGV) while running 'boom'"), "\(check.output)")
        #expect(check.output.contains("exit=2\n"), "fails, not killed (139): \(check.output)")

        // Without the manifest nothing is bundled: core too runs in a worker, and the log says why.
        try FileManager.default.removeItem(atPath: manifest)
        let bare = try await runOffThePool(binary, ["plugins", "--config", file])
        #expect(
            runsLine(bare.output, plugin: "core")
                == "in a worker process (isolation: process), third-party (\(manifest) is missing, so no plugin counts as bundled)",
            "\(bare.output)")
        #expect(bare.output.contains("no plugin in \(realPlugins) runs as a bundled plugin"), "\(bare.output)")
    }
}
