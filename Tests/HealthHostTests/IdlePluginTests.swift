import Foundation
import HealthCore
import HealthPOSIX
import Testing

/// A plugin folder holds every plugin an image ships; the host starts only the ones its
/// config uses. The others are described (listed by `healthhost plugins`, `validate` and
/// the environment endpoint) but never initialised, and with isolation on by default
/// never mapped into the serving process: neither they nor their libraries (libcurl).
@Suite(.timeLimit(.minutes(2))) struct IdlePluginTests {
    /// A folder with copies of the bundled `core` and `net` plugins and a plugin whose
    /// `init` fails, so a test can tell whether `init` ran. Copies outside the build
    /// folder are third-party plugins (bundled ones are known by folder and digest), so
    /// the configs that want `core` in the host process say so: `core: none`.
    private func pluginFolder() async throws -> String {
        let folder = TestPaths.temporaryDirectory("idle-plugins")
        for name in ["libhh-core.so", "libhh-net.so"] {
            try FileManager.default.copyItem(atPath: TestPaths.builtLibrary(name), toPath: "\(folder)/\(name)")
        }
        let failing = try await PluginCompiler.broken(["INIT_FAILS", "PLUGIN_NAME=\"failing\""], fileName: "hh-failing-src.so")
        try FileManager.default.copyItem(atPath: failing, toPath: "\(folder)/hh-failing.so")
        return folder
    }

    private func configFile(folder: String, checks: String, pluginConfig: String? = nil, isolation: String) throws -> String {
        let yaml = hostYAML(
            plugins: [folder], pluginConfig: pluginConfig, checks: checks,
            extra: "http:\n  runscope: { enabled: true }\n", isolation: isolation)
        let path = TestPaths.temporaryDirectory("idle-config") + "/healthhost.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static let coreOnly = "  - { name: alive, plugin: core, check: \"true\" }"

    @Test(arguments: ["{ default: process, core: none }", "{ default: none }"])
    func pluginsNoCheckUsesAreListedButNeverStarted(isolation: String) async throws {
        let folder = try await pluginFolder()
        let file = try configFile(folder: folder, checks: Self.coreOnly, isolation: isolation)

        // `failing`'s init would stop start-up: it never runs.
        let validate = try await runOffThePool(TestPaths.executable, ["validate", "--config", file])
        #expect(validate.status == 0, "\(validate.output)")
        #expect(validate.output.contains("OK (1 plugin(s), 1 check(s), 2 unused plugin(s) not started)"), "\(validate.output)")

        let listing = try await runOffThePool(TestPaths.executable, ["plugins", "--config", file])
        #expect(listing.status == 0, "\(listing.output)")
        for name in ["net", "failing"] {
            let block = try #require(listing.output.components(separatedBy: "\n\(name) ").dropFirst().first, "\(listing.output)")
            #expect(block.contains("runs:    not started: no configured check uses it"), "\(name): \(block)")
        }
        #expect(listing.output.contains("    http ["), "net's checks are listed from its descriptor: \(listing.output)")
        #expect(listing.output.contains("runs:    in the host process (isolation: none)"), "core runs: \(listing.output)")
    }

    @Test func theServingHostMapsNeitherAnUnusedPluginNorItsLibraries() async throws {
        let folder = try await pluginFolder()
        let yaml = try String(
            contentsOfFile: try configFile(folder: folder, checks: Self.coreOnly, isolation: "{ default: process, core: none }"),
            encoding: .utf8)
        let host = try ServedHost(yaml: yaml)
        try await host.waitUntilServing()
        let health = try await RawHTTPClient.request(port: host.port, "GET", "/health/?auth=s3cret")
        #expect(health.status == 200, "\(health.body)")

        let maps = try FileReading.text(atPath: "/proc/\(host.process.processIdentifier)/maps")
        #expect(maps.contains("/libhh-core.so"), "core runs in the host: \(maps)")
        for file in ["/libhh-net.so", "libcurl", "/hh-failing.so"] {
            #expect(!maps.contains(file), "\(file) is mapped into the serving host")
        }

        let environment = try await RawHTTPClient.request(port: host.port, "GET", "/environment?auth=s3cret")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(environment.body.utf8)) as? [String: Any])
        let plugins = try #require(body["plugins"] as? [String: Any])
        #expect((plugins["loaded"] as? [String: Any]).map { Set($0.keys) } == ["core"])
        let idle = try #require(plugins["not_started"] as? [String: Any])
        #expect(Set(idle.keys) == ["net", "failing"])
        let net = try #require(idle["net"] as? [String: Any])
        #expect(net["path"] as? String == "\(folder)/libhh-net.so")
        let digest = try await runOffThePool("/usr/bin/env", ["sha256sum", "\(folder)/libhh-net.so"]).output.prefix(64)
        #expect(net["sha256"] as? String == String(digest))
        #expect((net["checks"] as? [String])?.contains("tcp") == true)
        _ = try await host.terminate()
    }

    /// A plugin is used when a check names it, and also when `plugins.config` has settings
    /// for it (they are its `init`'s to judge); without a `checks` list every plugin is.
    @Test(arguments: [
        (checks: "  - { name: f, plugin: failing, check: ok }", pluginConfig: nil as String?),
        (checks: coreOnly, pluginConfig: "{ failing: { db: x } }" as String?),
        (checks: nil as String?, pluginConfig: nil as String?),
    ])
    func aPluginAChecksOrItsSettingsNameIsStarted(checks: String?, pluginConfig: String?) async throws {
        let folder = try await pluginFolder()
        let yaml = hostYAML(plugins: [folder], pluginConfig: pluginConfig, checks: checks, isolation: "{ default: process }")
        let path = TestPaths.temporaryDirectory("idle-config") + "/healthhost.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let validate = try await runOffThePool(TestPaths.executable, ["validate", "--config", path])
        #expect(validate.status == 1, "\(validate.output)")
        #expect(validate.output.contains("init failed: cannot reach db.internal:5432"), "\(validate.output)")
    }
}
