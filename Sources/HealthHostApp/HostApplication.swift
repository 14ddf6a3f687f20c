public import HealthConfig
public import HealthCore
public import HealthDialects
public import HealthHTTP
import HealthJSON
public import HealthMetrics
import HealthOTLP
public import HealthPluginLoader
public import HealthTracing
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The served host: a ``LoadedHost`` (config, plugins, checks, engine) and what serving
/// adds to it: auth, the environment report, every dialect's routes behind the one
/// request pipeline, the request metrics, the tracer, and the HTTP server and services
/// (``makeServer()``, ``services(server:environment:notifier:)``). Built the same way for
/// `healthhost serve`, `validate` (which builds all of it, to refuse what serve would)
/// and the tests.
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

    /// The loaded host this one serves.
    public let host: LoadedHost
    /// The validated config.
    public var loaded: LoadedConfiguration { host.loaded }
    /// Loaded (and broken) plugins.
    public var plugins: PluginSet { host.plugins }
    /// The served checks.
    public var registry: CheckRegistry { host.registry }
    /// Runs checks on threads of its own, with timeouts, caching and background refresh.
    public var engine: CheckEngine { host.engine }
    /// The host's logger, at the configured level.
    public var logger: Logger { host.logger }
    /// The shared secret (or disabled); `nil` for commands that serve nothing.
    public let auth: SharedSecretAuth?
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

    /// What `build` should do beyond loading config and plugins (``HostOptions``).
    public typealias Options = HostOptions

    private init(
        host: LoadedHost, auth: SharedSecretAuth?, lifecycle: HostLifecycle, environment: EnvironmentReport,
        routes: RoutePipeline, requestMetrics: RequestMetrics, tracer: HostTracer?, dependencyEngine: CheckEngine?
    ) {
        self.host = host
        self.auth = auth
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
        try build(configuration: LoadedHost.readConfiguration(configFile), options: options, logger: logger)
    }

    /// Resolves auth, loads the host (``LoadedHost/load(configuration:options:logger:)``),
    /// and builds what serving it takes.
    public static func build(configuration: LoadedConfiguration, options: Options = Options(), logger: Logger)
        throws(StartupError) -> HostApplication
    {
        // Auth first: its errors come before the plugins are loaded.
        let auth = options.requiresAuth ? try AuthResolver.resolve(configuration, environment: options.environment) : nil
        let host = try LoadedHost.load(configuration: configuration, options: options, logger: logger)
        return try serve(host, auth: auth, environment: options.environment)
    }

    /// The served host on top of `host`: environment report, routes, pipeline, tracer.
    private static func serve(_ host: LoadedHost, auth: SharedSecretAuth?, environment processEnvironment: [String: String])
        throws(StartupError) -> HostApplication
    {
        let (loaded, plugins, registry, engine, logger) = (host.loaded, host.plugins, host.registry, host.engine, host.logger)
        let lifecycle = HostLifecycle()
        let environment = EnvironmentFacts.gather(
            loaded: loaded, plugins: plugins, engine: engine, environment: processEnvironment)
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
            tracer = try makeTracer(environment: processEnvironment, resource: environment.resourceAttributes, logger: logger)
            (requestMetrics, pipeline) = try assembly.pipeline(
                routes: routes, plugins: plugins, dependencies: dependencies, auth: auth ?? .disabled, tracer: tracer)
        } catch {
            engine.shutdown()
            throw error
        }
        return HostApplication(
            host: host, auth: auth, lifecycle: lifecycle, environment: environment, routes: pipeline,
            requestMetrics: requestMetrics, tracer: tracer, dependencyEngine: dependencies.engine)
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

    /// Logs what was loaded: each plugin and each served check, and whether auth is off.
    public func logSummary() {
        host.logSummary()
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
