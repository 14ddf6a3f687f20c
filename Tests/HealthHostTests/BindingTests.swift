import HealthHostApp
import Testing

/// Config entries bound to plugins: errors name the entry's key and line.
@Suite(.timeLimit(.minutes(2))) struct BindingTests {
    private func startupError(_ checks: String, extra: String = "") async throws -> String {
        let yaml = hostYAML(plugins: [try await PluginCompiler.core(), try await PluginCompiler.testkit()], checks: checks, extra: extra)
        do {
            _ = try TestHost.build(yaml: yaml)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func unknownPluginNamesTheEntryAndTheLoadedPlugins() async throws {
        let error = try await startupError("  - { name: db, plugin: postgres, check: ping }")
        #expect(error.contains("test.yaml:7:"))
        #expect(error.contains("checks[0].plugin: no loaded plugin is named 'postgres' (loaded: core, testkit)"))
    }

    @Test func unknownCheckListsThePluginsChecks() async throws {
        let error = try await startupError("  - { plugin: core, check: ture }")
        #expect(error.contains("checks[0].check: plugin 'core' has no check 'ture' (its checks: true, false)"))
    }

    @Test func argumentsForACheckWithoutParametersAreRejected() async throws {
        let error = try await startupError("  - { plugin: core, check: \"true\", args: { x: 1 } }")
        #expect(error.contains("checks[0].args.x: check 'core.true' has no parameter 'x' (it takes no arguments)"))
    }

    @Test func argumentsAreCheckedAgainstDeclaredParameters() async throws {
        #expect(
            try await startupError("  - { plugin: testkit, check: disk, args: { path: /, min_free_mb: lots } }")
                .contains("checks[0].args.min_free_mb: parameter 'min_free_mb' of 'testkit.disk' expects a whole number (64-bit), found 'lots'"))
        #expect(
            try await startupError("  - { plugin: testkit, check: disk, args: { min_free_mb: 5 } }")
                .contains("missing required argument 'path' (string)"))
        #expect(
            try await startupError("  - { plugin: testkit, check: disk, args: { path: /, size: 5 } }")
                .contains("its parameters: path, min_free_mb, password"))
    }

    @Test func pluginConfigForAnUnknownPluginIsAnError() async throws {
        let error = try await startupError("  - { plugin: core, check: \"true\" }", extra: "")
        #expect(error.isEmpty)
        let yaml = hostYAML(plugins: [try await PluginCompiler.core()]).replacingOccurrences(
            of: "plugins:\n", with: "plugins:\n  config: { postgress: { dsn: x } }\n")
        #expect {
            _ = try TestHost.build(yaml: yaml)
        } throws: { error in
            "\(error)".contains("plugins.config.postgress: no loaded plugin is named 'postgress'")
        }
    }

    @Test func aBrokenPluginStopsStartUpByDefault() async throws {
        let yaml = hostYAML(plugins: [try await PluginCompiler.core(), try await PluginCompiler.broken(["INIT_FAILS"])])
        #expect {
            _ = try TestHost.build(yaml: yaml)
        } throws: { error in
            "\(error)".contains("plugin error: plugin") && "\(error)".contains("init failed: cannot reach db.internal:5432")
        }
    }

    @Test func skipPolicyStartsWithoutTheBrokenPluginAndItsChecksFail() async throws {
        let broken = try await PluginCompiler.broken(["INIT_FAILS"])
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.core(), broken],
            checks: "  - { name: ok, plugin: core, check: \"true\" }\n  - { name: db, plugin: broken, check: ok }",
            extra: ""
        ).replacingOccurrences(of: "plugins:\n", with: "plugins:\n  on_error: skip\n")
        try await TestHost.with(yaml: yaml) { host throws in
            #expect(host.app.plugins.broken.map(\.path) == [broken])
            let response = try await host.get("/health/?auth=s3cret")
            #expect(response.status == 503)
            #expect(response.json["checks"] as? [String: Bool] == ["ok": true, "db": false])
        }
    }
}

import Foundation
import HealthPluginLoader
