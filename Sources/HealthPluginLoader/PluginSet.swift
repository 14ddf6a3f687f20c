/// The outcome of loading: the plugins in use and the ones that failed (only when the
/// policy is to skip broken plugins).
public struct PluginSet: Sendable {
    /// Loaded and initialised plugins, in load order.
    public let plugins: [LoadedPlugin]
    /// Plugins that failed, with why.
    public let broken: [BrokenPlugin]

    /// Creates a set.
    public init(plugins: [LoadedPlugin], broken: [BrokenPlugin]) {
        self.plugins = plugins
        self.broken = broken
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
