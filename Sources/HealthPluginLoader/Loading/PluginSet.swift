/// The outcome of loading: the plugins in use and the ones that failed (only when the
/// policy is to skip broken plugins).
public struct PluginSet: Sendable {
    /// Loaded and initialised plugins, in load order.
    public let plugins: [LoadedPlugin]
    /// Plugins that failed, with why.
    public let broken: [BrokenPlugin]
    /// Plugin files found in a folder that could not load because a shared library they
    /// need is not installed (a host without libpq that does not use `postgres`).
    public let skipped: [BrokenPlugin]
    /// Plugins found in a folder that no configured check uses: described, not initialised
    /// (see ``PluginDemand``).
    public let idle: [IdlePlugin]

    /// Creates a set.
    public init(plugins: [LoadedPlugin], broken: [BrokenPlugin], skipped: [BrokenPlugin] = [], idle: [IdlePlugin] = []) {
        self.plugins = plugins
        self.broken = broken
        self.skipped = skipped
        self.idle = idle
    }

    /// The loaded plugin with this name.
    public func plugin(named name: String) -> LoadedPlugin? {
        plugins.first { $0.name == name }
    }

    /// Calls every plugin's `shutdown`, in reverse load order.
    public func shutdownAll() {
        for plugin in plugins.reversed() { plugin.shutdown() }
    }
}

/// A plugin that could not be used.
public struct BrokenPlugin: Sendable {
    /// The file or configured path.
    public let path: String
    /// Why.
    public let error: PluginLoadError
}
