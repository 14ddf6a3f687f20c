public import HealthConfig
public import HealthCore
public import HealthPluginLoader
public import Logging

/// A host loaded but not serving: the config read and validated, the plugins loaded, the
/// configured checks bound to them and registered, and the engine that runs them. All
/// that `healthhost check` and `plugins` need; ``HostApplication`` (the served host) adds
/// the routes, the tracer and the server on top of one.
///
/// ```swift
/// let host = try LoadedHost.load(configFile: "healthhost.yaml", logger: logger)
/// defer { host.shutdown() }
/// let reports = await host.engine.reports(for: host.registry.resolve(.defaults).checks)
/// ```
public final class LoadedHost: Sendable {
    /// The validated config (with the options' `listen` overrides).
    public let loaded: LoadedConfiguration
    /// Loaded (and broken) plugins.
    public let plugins: PluginSet
    /// The configured checks.
    public let registry: CheckRegistry
    /// Runs checks on threads of its own, with timeouts, caching and background refresh.
    public let engine: CheckEngine
    /// The host's logger, at the configured level.
    public let logger: Logger

    private init(loaded: LoadedConfiguration, plugins: PluginSet, registry: CheckRegistry, engine: CheckEngine, logger: Logger) {
        self.loaded = loaded
        self.plugins = plugins
        self.registry = registry
        self.engine = engine
        self.logger = logger
    }

    /// Reads the config file and loads the host (see ``load(configuration:options:logger:)``).
    public static func load(configFile: String, options: HostOptions = HostOptions(), logger: Logger) throws(StartupError)
        -> LoadedHost
    {
        try load(configuration: readConfiguration(configFile), options: options, logger: logger)
    }

    /// The config in `configFile`, read and validated.
    static func readConfiguration(_ configFile: String) throws(StartupError) -> LoadedConfiguration {
        do {
            return try ConfigurationLoader.load(file: configFile)
        } catch {
            throw .config(error)
        }
    }

    /// Applies the options' `listen` overrides and the configured log level and format,
    /// loads and initialises the plugins, and registers the checks. Auth is not resolved
    /// here (``HostApplication`` does, before this).
    public static func load(configuration: LoadedConfiguration, options: HostOptions = HostOptions(), logger: Logger)
        throws(StartupError) -> LoadedHost
    {
        var loaded = configuration
        if let host = options.host { loaded.configuration.listen.host = host }
        if let port = options.port { loaded.configuration.listen.port = port }
        let config = loaded.configuration
        var logger = logger
        logger.logLevel = Logger.Level(rawValue: config.logging.level) ?? .info
        LogFormatSwitch.shared.set(config.logging.format)

        let plugins = try loadPlugins(
            loaded, skipBroken: options.forceSkipBrokenPlugins, workerExecutable: options.workerExecutable, logger: logger)
        try EnvironmentFacts.validateInfoSections(plugins)
        let registry = try CheckBinder(
            loaded: loaded, plugins: plugins, toleratesBrokenPlugins: options.forceSkipBrokenPlugins
        ).makeRegistry()
        let threads = EnginePoolSize.threads(for: loaded, registry: registry, plugins: plugins, logger: logger)
        let engine = CheckEngine(registry: registry, threads: threads, logger: logger, clock: options.engineClock)
        return LoadedHost(loaded: loaded, plugins: plugins, registry: registry, engine: engine, logger: logger)
    }

    private static func loadPlugins(
        _ loaded: LoadedConfiguration, skipBroken: Bool, workerExecutable: String, logger: Logger
    ) throws(StartupError) -> PluginSet {
        let config = loaded.configuration
        let policy = skipBroken ? .skipBroken : PluginLoader.Policy(config.plugins.onError)
        let settings = config.plugins.config
        let plugins: PluginSet
        do {
            plugins = try PluginLoader(
                policy: policy, logger: logger, isolation: IsolationPolicy(config.plugins, workerExecutable: workerExecutable),
                trust: PluginTrust(config.plugins)
            ).load(
                paths: config.plugins.paths.map(loaded.resolve(path:)), demand: pluginDemand(config)
            ) { name in
                guard let value = settings[name] else { return PluginSettings() }
                return PluginSettings(json: value.jsonText, scalars: value.flattenedScalars())
            }
        } catch {
            throw .plugin(error)
        }
        for name in settings.keys.sorted() where plugins.plugin(named: name) == nil {
            let message = "no loaded plugin is named '\(name)', so this setting would be ignored"
            if policy == .skipBroken && !plugins.broken.isEmpty {
                logger.warning("\(loaded.error(at: ["plugins", "config", .key(name)], message))")
            } else {
                throw .config(loaded.error(at: ["plugins", "config", .key(name)], message))
            }
        }
        return plugins
    }

    /// The plugins this config uses: the ones its checks and `plugins.config` name, or
    /// every plugin when there is no `checks` list (then every plugin's checks are served).
    static func pluginDemand(_ config: HostConfiguration) -> PluginDemand {
        guard let checks = config.checks else { return .every }
        return .named(Set(checks.map(\.plugin)).union(config.plugins.config.keys))
    }

    /// Logs what was loaded: each plugin and each configured check.
    public func logSummary() {
        for plugin in plugins.plugins {
            logger.info(
                "loaded plugin \(plugin.name) \(plugin.descriptor.version)",
                metadata: [
                    "plugin.path": "\(plugin.path)", "plugin.abi": "\(plugin.descriptor.abiVersion)",
                    "plugin.runs": "\(plugin.placement.description)",
                ])
        }
        for idle in plugins.idle {
            logger.info(
                "plugin \(idle.name) \(idle.descriptor.version) not started: no configured check uses it",
                metadata: ["plugin.path": "\(idle.path)"])
        }
        for broken in plugins.broken {
            logger.error("broken plugin: \(broken.error)")
        }
        for check in registry.checks {
            logger.info(
                "serving check \(check.name)",
                metadata: [
                    "check.source": "\(check.implementation.source)", "check.default": "\(check.isDefault)",
                    "check.groups": "\(check.groups.joined(separator: ","))",
                    "check.timeout": "\(check.timeout.humanReadable)",
                    "check.refresh": "\(check.refresh.summary)",
                ])
        }
    }

    /// Stops the engine and calls each plugin's `shutdown` (skipped for a plugin whose
    /// check is still running past its timeout).
    public func shutdown() {
        engine.shutdown()
        plugins.shutdownAll()
    }
}
