import HealthConfig
@testable import HealthHostApp
import HealthPluginLoader
import Testing

/// The `plugins` settings reach the loader through one mapping each, config → loader
/// (`PluginsConfiguration+Loader.swift`), and every config word means the loader's case
/// of the same meaning.
@Suite(.timeLimit(.minutes(1))) struct ConfigEnumMappingTests {
    @Test(arguments: PluginsConfiguration.Isolation.allCases)
    func everyIsolationWordIsTheLoadersIsolationOfTheSameName(setting: PluginsConfiguration.Isolation) {
        #expect(PluginIsolation(setting).rawValue == setting.rawValue)
    }

    @Test func onErrorAndTrustMeanWhatTheyTellTheLoader() {
        #expect(PluginLoader.Policy(.fail) == .failFast)
        #expect(PluginLoader.Policy(.skip) == .skipBroken)
        var plugins = PluginsConfiguration()
        plugins.allowedDigests = [String(repeating: "AB", count: 32)]
        #expect(PluginTrust(plugins).checksOwnershipAndModes)
        #expect(PluginTrust(plugins).allowedDigests == [String(repeating: "ab", count: 32)])
        plugins.trust = .relaxed
        #expect(!PluginTrust(plugins).checksOwnershipAndModes)
    }

    @Test func theIsolationPolicyCarriesEveryPluginsSetting() throws {
        let yaml = """
            plugins:
              isolation: { default: none, pg: process }
              init_timeout: 2.5
              restart_delay: 0.25
              max_restart_delay: 30
              quarantine_after: 3
              quarantine_window: 120
            """
        let plugins = try ConfigurationLoader.parse(yaml: yaml, file: "h.yaml", directory: "/").configuration.plugins
        let policy = IsolationPolicy(plugins, workerExecutable: "/usr/bin/healthhost")
        #expect(policy.defaultIsolation == .none && policy.byName == ["pg": .process])
        #expect(policy.workerExecutable == "/usr/bin/healthhost")
        #expect(policy.initTimeout == .milliseconds(2500) && policy.restartDelay == .milliseconds(250))
        #expect(policy.maxRestartDelay == .seconds(30) && policy.quarantineWindow == .seconds(120))
        #expect(policy.quarantineAfter == 3)
        // Unset, a third-party plugin runs in a worker.
        #expect(IsolationPolicy(PluginsConfiguration(), workerExecutable: "x").defaultIsolation == .process)
    }
}
