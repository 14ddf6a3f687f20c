import Foundation
import HealthHostApp
import HealthPluginLoader
import Testing

/// ABI 1.1 info sections: names are checked at start-up, and 1.0 plugins still load.
@Suite(.timeLimit(.minutes(2))) struct InfoSectionTests {
    @Test func anABI10PluginLoadsWithoutAnInfoSection() async throws {
        let path = try await PluginCompiler.dialectkit(["ABI_1_0"], fileName: "hh-dialectkit-10.so")
        let yaml = hostYAML(
            plugins: [path], checks: "  - { name: ok, plugin: dialectkit, check: ok }",
            extra: "http:\n  runscope: { enabled: true }\n")
        try await TestHost.with(yaml: yaml) { host throws in
            let plugin = try #require(host.app.plugins.plugin(named: "dialectkit"))
            #expect(plugin.descriptor.abiVersion == ABIVersion(major: 1, minor: 0))
            #expect(plugin.descriptor.infoSection == nil)
            #expect(try await host.get("/health/?auth=s3cret").status == 200)
            let environment = try await host.get("/environment?auth=s3cret").json
            #expect(environment["dialectkit"] == nil)
            #expect(Set(environment.keys) == ["os", "runtime", "process", "config", "plugins"])
        }
    }

    @Test func aBuiltInSectionNameStopsStartUpNamingThePlugin() async throws {
        let path = try await PluginCompiler.dialectkit(["INFO_SECTION=\"os\""], fileName: "hh-dialectkit-os.so")
        do {
            _ = try TestHost.build(yaml: hostYAML(plugins: [path]))
            Issue.record("expected a start-up error")
        } catch {
            let text = "\(error)"
            #expect(text.contains(path), "\(text)")
            #expect(text.contains("info section 'os' is the name of a built-in section"), "\(text)")
        }
    }

    @Test func twoPluginsCannotShareASectionName() async throws {
        let first = try await PluginCompiler.dialectkit()
        let second = try await PluginCompiler.dialectkit(
            ["PLUGIN_NAME=\"otherkit\"", "INFO_SECTION=\"dialectkit\""], fileName: "hh-otherkit.so")
        do {
            _ = try TestHost.build(yaml: hostYAML(plugins: [first, second]))
            Issue.record("expected a start-up error")
        } catch {
            let text = "\(error)"
            #expect(text.contains("plugin 'otherkit': info section 'dialectkit' is already contributed by plugin 'dialectkit'"), "\(text)")
            #expect(text.contains(first) && text.contains(second), "\(text)")
        }
    }
}
