import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthMetrics
import HealthJSON
import HealthPluginLoader
import HealthTracing
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A configured host: config, plugins, registry, engine and auth, built the same way
/// for `healthhost serve`, the other commands and the tests.
///
/// ```swift
/// let app = try HostApplication.build(configFile: "healthhost.yaml", logger: logger)
/// app.startBackgroundWork()
/// let server = app.makeServer()
/// try await server.run()
/// await app.shutdown()
/// ```
public final class HostApplication: Sendable {
    /// healthhost's version.
    public static let version = "0.1.0"

    /// The validated config.
    public let loaded: LoadedConfiguration
    /// Loaded (and broken) plugins.
    public let plugins: PluginSet
    /// The served checks.
    public let registry: CheckRegistry
    /// Runs checks on threads of its own, with timeouts, caching and background refresh.
    public let engine: CheckEngine
    /// The shared secret (or disabled); `nil` for commands that serve nothing.
    public let auth: SharedSecretAuth?
    /// The host's logger, at the configured level.
    public let logger: Logger
    /// Whether shutdown has begun: readiness endpoints fail from then on.
    public let lifecycle: HostLifecycle
    /// What the environment and info endpoints show.
    public let environment: EnvironmentReport
    /// Every enabled dialect's routes, behind the one request pipeline.
    public let routes: RoutePipeline
    /// Requests served per route, for `/metrics`.
    public let requestMetrics: RequestMetrics
    /// The tracer, when `OTEL_*` variables turn tracing on.
    public let tracer: HostTracer?
    /// Runs the actuator dialect's remote dependency calls; `nil` without dependencies.
    let dependencyEngine: CheckEngine?
    /// The task re-reading `auth.secret_file`, once started.
    private let secretReloading = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// The HTTP threads when `http.event_loops` is set (created by ``makeServer()``).
    private let eventLoops = NIOLockedValueBox<MultiThreadedEventLoopGroup?>(nil)

    /// What `build` should do beyond loading config and plugins.
    public struct Options: Sendable {
        /// Overrides `listen.host`.
        public var host: String?
        /// Overrides `listen.port`.
        public var port: Int?
        /// Whether auth must be resolved (serving); commands that serve nothing skip it.
        public var requiresAuth: Bool
        /// Loads every plugin it can and lists the rest as broken, whatever `plugins.on_error` says.
        public var forceSkipBrokenPlugins: Bool
        /// The process environment (for `HEALTH_URL_SECRET`).
        public var environment: [String: String]
        /// The `healthhost` binary isolated plugins' workers run (this process's own by
        /// default; tests, whose process is the test runner, name the built binary).
        public var workerExecutable: String
        /// Where the engine reads the time (tests pass a ``ManualClock``'s).
        public var engineClock: EngineClock

        /// Creates options.
        public init(
            host: String? = nil, port: Int? = nil, requiresAuth: Bool = true, forceSkipBrokenPlugins: Bool = false,
            environment: [String: String] = [:], workerExecutable: String = HostApplication.ownExecutable,
            engineClock: EngineClock = .system
        ) {
            self.workerExecutable = workerExecutable
            self.engineClock = engineClock
            self.host = host
            self.port = port
            self.requiresAuth = requiresAuth
            self.forceSkipBrokenPlugins = forceSkipBrokenPlugins
            self.environment = environment
        }
    }

    private init(
        loaded: LoadedConfiguration, plugins: PluginSet, registry: CheckRegistry, engine: CheckEngine,
        auth: SharedSecretAuth?, logger: Logger, lifecycle: HostLifecycle, environment: EnvironmentReport,
        routes: RoutePipeline, requestMetrics: RequestMetrics, tracer: HostTracer?, dependencyEngine: CheckEngine?
    ) {
        self.loaded = loaded
        self.plugins = plugins
        self.registry = registry
        self.engine = engine
        self.auth = auth
        self.logger = logger
        self.lifecycle = lifecycle
        self.environment = environment
        self.routes = routes
        self.requestMetrics = requestMetrics
        self.tracer = tracer
        self.dependencyEngine = dependencyEngine
    }

    /// Reads the config file and builds the host (see ``build(configuration:options:logger:)``).
    public static func build(configFile: String, options: Options = Options(), logger: Logger) throws(StartupError)
        -> HostApplication
    {
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigurationLoader.load(file: configFile)
        } catch {
            throw .config(error)
        }
        return try build(configuration: loaded, options: options, logger: logger)
    }

    /// Resolves auth, loads and initialises plugins, and registers checks.
    public static func build(configuration: LoadedConfiguration, options: Options = Options(), logger: Logger)
        throws(StartupError) -> HostApplication
    {
        var loaded = configuration
        if let host = options.host { loaded.configuration.listen.host = host }
        if let port = options.port { loaded.configuration.listen.port = port }
        let config = loaded.configuration
        var logger = logger
        logger.logLevel = Logger.Level(rawValue: config.logging.level) ?? .info
        LogFormatSwitch.shared.set(config.logging.format)

        let auth = options.requiresAuth ? try AuthResolver.resolve(loaded, environment: options.environment) : nil
        let plugins = try loadPlugins(
            loaded, skipBroken: options.forceSkipBrokenPlugins, workerExecutable: options.workerExecutable, logger: logger)
        try EnvironmentFacts.validateInfoSections(plugins)
        let registry = try CheckBinder(
            loaded: loaded, plugins: plugins, toleratesBrokenPlugins: options.forceSkipBrokenPlugins
        ).makeRegistry()
        let threads = EnginePoolSize.threads(for: loaded, registry: registry, plugins: plugins, logger: logger)
        let engine = CheckEngine(registry: registry, threads: threads, logger: logger, clock: options.engineClock)
        let lifecycle = HostLifecycle()
        let environment = EnvironmentFacts.gather(
            loaded: loaded, plugins: plugins, engine: engine, environment: options.environment)
        let context = DialectContext(
            registry: registry, engine: engine, auth: auth ?? .disabled, lifecycle: lifecycle, environment: environment,
            logger: logger)
        let assembly = RouteAssembly(loaded: loaded, context: context)
        let dependencies: ActuatorDialect.Dependencies
        let routes: [HealthRoute]
        do {
            dependencies = try assembly.dependencies(logger: logger)
            routes = try assembly.routes(dependencies: dependencies)
        } catch {
            engine.shutdown()
            throw error
        }
        let requestMetrics: RequestMetrics
        let pipeline: RoutePipeline
        let tracer: HostTracer?
        do {
            tracer = try makeTracer(environment: options.environment, resource: environment.resourceAttributes, logger: logger)
            (requestMetrics, pipeline) = try assembly.pipeline(
                routes: routes, plugins: plugins, dependencies: dependencies, auth: auth ?? .disabled, tracer: tracer)
        } catch {
            engine.shutdown()
            throw error
        }
        return HostApplication(
            loaded: loaded, plugins: plugins, registry: registry, engine: engine, auth: auth, logger: logger,
            lifecycle: lifecycle, environment: environment, routes: pipeline, requestMetrics: requestMetrics, tracer: tracer,
            dependencyEngine: dependencies.engine)
    }

    /// The tracer the `OTEL_*` variables of `environment` ask for, if any.
    private static func makeTracer(
        environment: [String: String], resource: [String: JSONValue], logger: Logger
    ) throws(StartupError) -> HostTracer? {
        let settings: TracingSettings?
        do {
            settings = try TracingSettings.from(environment: environment)
        } catch {
            throw .tracing(error.description)
        }
        guard let settings else { return nil }
        var attributes: [String: HostTracer.ResourceValue] = [:]
        for (key, value) in resource {
            switch value {
            case .string(let text): attributes[key] = .string(text)
            case .int(let number): attributes[key] = .int(number)
            case .array(let items): attributes[key] = .strings(items.map { if case .string(let text) = $0 { text } else { $0.text } })
            default: attributes[key] = .string(value.text)
            }
        }
        logger.info(
            "tracing: spans go to the OTLP/HTTP collector",
            metadata: [
                "otlp.endpoint": "\(settings.endpoint)", "otlp.compression": "\(settings.compression.rawValue)",
                "otlp.client_certificate": "\(settings.tls.clientCertificate != nil)",
            ])
        return HostTracer(settings: settings, resource: attributes, version: version, logger: logger)
    }

    /// This process's executable, resolved once (workers must find it even after an
    /// upgrade replaced the file: `/proc/self/exe` still names the running image).
    public static let ownExecutable = "/proc/self/exe"

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

    /// Starts what runs in the background while serving, outside a `ServiceGroup` (the
    /// tests, which stop the server themselves): checks with an `interval`, and
    /// re-reading `auth.secret_file` every `auth.reload_interval` seconds.
    public func startBackgroundWork(environment: [String: String] = [:]) {
        engine.startBackgroundRefresh()
        guard let reloader = secretReloader(environment: environment) else { return }
        let task = Task { await reloader.run() }
        secretReloading.withLockedValue { $0 = task }
    }

    /// The reloader of `auth.secret_file`, when there is one to re-read.
    func secretReloader(environment: [String: String]) -> SecretFileReloader? {
        let interval = loaded.configuration.auth.reloadInterval
        guard let auth, auth.isEnabled, interval > .zero,
            let path = AuthResolver.secretFile(loaded, environment: environment)
        else { return nil }
        return SecretFileReloader(
            path: path, interval: interval, auth: auth, engine: engine, logger: logger)
    }

    /// The HTTP server for this host.
    public func makeServer() -> HTTPServer {
        let config = loaded.configuration
        var serverConfiguration = HTTPServerConfiguration(
            host: config.listen.host, port: config.listen.port,
            idleTimeout: TimeAmount(config.http.idleTimeout),
            maxRequestLine: config.http.maxRequestLine, maxHeaderBytes: config.http.maxHeaderBytes)
        // Whole nanoseconds (ConfigSeconds), so TimeAmount's truncation to them is exact.
        serverConfiguration.headerTimeout = TimeAmount(config.http.headerTimeout)
        serverConfiguration.bodyTimeout = TimeAmount(config.http.bodyTimeout)
        serverConfiguration.drainTimeout = TimeAmount(config.http.drainTimeout)
        serverConfiguration.maxConnections = config.http.maxConnections
        let lifecycle = self.lifecycle
        serverConfiguration.isDraining = { lifecycle.isShuttingDown }
        serverConfiguration.requestLog = config.logging.access
        serverConfiguration.redactedQueryNames = [SharedSecretAuth.queryParameterName]
        let auth = self.auth
        serverConfiguration.redactedValues = { auth?.secretText.map { [$0] } ?? [] }
        guard let count = config.http.eventLoops else {
            return HTTPServer(configuration: serverConfiguration, responder: routes, logger: logger)
        }
        let group = eventLoops.withLockedValue { existing in
            if let existing { return existing }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: count)
            existing = group
            return group
        }
        return HTTPServer(configuration: serverConfiguration, responder: routes, logger: logger, group: group)
    }

    /// Logs what was loaded: each plugin and each served check.
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
        if auth?.isEnabled == false { logger.warning("auth is disabled: check results are served to anyone") }
    }

    /// Stops the engine and calls each plugin's `shutdown` (skipped for a plugin whose
    /// check is still running past its timeout).
    public func shutdown() {
        lifecycle.beginShutdown()
        secretReloading.withLockedValue { $0 }?.cancel()
        engine.shutdown()
        dependencyEngine?.shutdown()
        // serve has flushed the spans by now (TraceExportService); this ends the schedule.
        tracer?.stop()
        eventLoops.withLockedValue { $0 }?.shutdownGracefully { _ in }
        plugins.shutdownAll()
    }
}
