import HealthConfig
import HealthPluginLoader

// The one place where `plugins` settings become the loader's types, and the only
// direction they go: config → loader. HealthConfig cannot name the loader's types (it
// does not depend on HealthPluginLoader), so each config enum whose runtime twin has the
// same cases is mapped here, once, by an exhaustive switch: a case added on either side
// stops the build instead of falling through to a default.

extension PluginIsolation {
    /// The isolation a `plugins.isolation` entry names.
    init(_ setting: PluginsConfiguration.Isolation) {
        switch setting {
        case .none: self = .none
        case .process: self = .process
        }
    }
}

extension PluginLoader.Policy {
    /// What `plugins.on_error` asks the loader to do with a plugin that fails to load.
    init(_ onError: PluginsConfiguration.ErrorPolicy) {
        switch onError {
        case .fail: self = .failFast
        case .skip: self = .skipBroken
        }
    }
}

extension PluginTrust {
    /// The vetting `plugins.trust` and `plugins.allowed_digests` ask for.
    init(_ plugins: PluginsConfiguration) {
        let checksOwnershipAndModes =
            switch plugins.trust {
            case .strict: true
            case .relaxed: false
            }
        self.init(checksOwnershipAndModes: checksOwnershipAndModes, allowedDigests: Set(plugins.allowedDigests))
    }
}

extension IsolationPolicy {
    /// Where plugins run and how their workers are supervised, as `plugins` says.
    init(_ plugins: PluginsConfiguration, workerExecutable: String) {
        var byName: [String: PluginIsolation] = [:]
        for (name, setting) in plugins.isolation where name != "default" { byName[name] = PluginIsolation(setting) }
        self.init(
            defaultIsolation: PluginIsolation(plugins.defaultIsolation), byName: byName, workerExecutable: workerExecutable,
            initTimeout: plugins.initTimeout, restartDelay: plugins.restartDelay, maxRestartDelay: plugins.maxRestartDelay,
            quarantineAfter: plugins.quarantineAfter, quarantineWindow: plugins.quarantineWindow)
    }
}
