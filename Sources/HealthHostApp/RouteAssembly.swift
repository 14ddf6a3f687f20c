import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthMetrics
import HealthSwiftVersion
import HealthTracing
import HealthPluginLoader
import Logging
import NIOHTTP1

/// Builds the route table of every enabled dialect from the config, refusing two
/// dialects that claim one path and dependency URLs it cannot call.
struct RouteAssembly {
    let loaded: LoadedConfiguration
    let context: DialectContext

    private var http: HTTPConfiguration { loaded.configuration.http }

    /// Every enabled dialect's routes, in one list.
    func routes(dependencies: ActuatorDialect.Dependencies) throws(StartupError) -> [HealthRoute] {
        var routes: [HealthRoute] = []
        var owners: [String: String] = [:]
        func add(_ dialect: String, _ dialectRoutes: [HealthRoute]) throws(StartupError) {
            for route in dialectRoutes {
                if let owner = owners[route.path], owner != dialect {
                    throw .config(
                        loaded.error(
                            at: ["http", .key(dialect)],
                            "the \(dialect) dialect's path \(route.path) is already served by the \(owner) dialect; give one of them another prefix"))
                }
                owners[route.path] = dialect
            }
            routes += dialectRoutes
        }
        if http.native.enabled { try add("native", NativeDialect.routes(http.native, context: context)) }
        if http.kubernetes.enabled { try add("kubernetes", KubernetesDialect.routes(http.kubernetes, context: context)) }
        if http.runscope.enabled { try add("runscope", RunscopeDialect.routes(http.runscope, context: context)) }
        if http.actuator.enabled {
            try add("actuator", ActuatorDialect.routes(http.actuator, context: context, dependencies: dependencies))
        }
        if http.heartbeat.enabled { try add("heartbeat", HeartbeatDialect.routes(http.heartbeat, context: context)) }
        return routes
    }

    /// The pipeline over `routes` and, when `http.metrics` is on, `/metrics`, which
    /// counts them all.
    func pipeline(
        routes: [HealthRoute], plugins: PluginSet, dependencies: ActuatorDialect.Dependencies, auth: SharedSecretAuth,
        tracer: HostTracer?
    ) throws(StartupError) -> (RequestMetrics, RoutePipeline) {
        let metricsConfig = http.metrics
        guard metricsConfig.enabled else {
            let metrics = RequestMetrics(routes: routes.map(\.path))
            return (
                metrics,
                RoutePipeline(
                    routes: routes, auth: auth, metrics: metrics, tracer: tracer,
                    tracedChecks: context.registry.checks + dependencies.checks)
            )
        }
        if let owner = routes.first(where: { $0.path == metricsConfig.path }) {
            throw .config(
                loaded.error(
                    at: ["http", "metrics", "path"],
                    "the metrics path \(owner.path) is already served by a dialect; give http.metrics another path"))
        }
        let metrics = RequestMetrics(routes: routes.map(\.path) + [metricsConfig.path])
        var sources = [CheckMetrics.Source(registry: context.registry, engine: context.engine)]
        if let engine = dependencies.engine {
            var registry = CheckRegistry()
            for check in dependencies.checks { try? registry.register(check) }
            sources.append(CheckMetrics.Source(registry: registry, engine: engine))
        }
        // In the order the exposition has always had: dashboards diff it.
        var collectors: [any MetricsCollector] = [CheckMetrics(sources: sources), PluginMetrics(plugins: plugins.plugins), metrics]
        if let tracer { collectors.append(TraceExportMetrics(tracer: tracer)) }
        collectors.append(BuildInfoMetrics(version: HostApplication.version, swiftVersion: SwiftRuntimeVersion.host))
        let exposition = MetricsExposition(collectors: collectors)
        let all = routes + [MetricsRoute.route(metricsConfig, exposition: exposition)]
        return (
            metrics,
            RoutePipeline(
                routes: all, auth: auth, metrics: metrics, tracer: tracer,
                tracedChecks: context.registry.checks + dependencies.checks)
        )
    }

    /// The dependency checks of `http.actuator.service_dependencies` and their engine;
    /// `.none` when the dialect is off or has none.
    func dependencies(logger: Logger) throws(StartupError) -> ActuatorDialect.Dependencies {
        let actuator = http.actuator
        guard actuator.enabled, !actuator.serviceDependencies.isEmpty else { return .none }
        let timeout = actuator.dependencyTimeout
        let refresh = RefreshPolicy(successTTL: actuator.dependencySuccessTTL, failureTTL: actuator.dependencyFailureTTL)
        let base = HealthRoute.base(actuator.prefix)
        var registry = CheckRegistry()
        for (name, value) in actuator.serviceDependencies.sorted(by: { $0.key < $1.key }) {
            let key: [ConfigPathElement] = ["http", "actuator", "service_dependencies", .key(name)]
            if context.registry.check(named: name) != nil {
                throw .config(
                    loaded.error(
                        at: key, "dependency '\(name)' has the name of a configured check; /z/health lists both as components, so rename one"))
            }
            let target: HTTPTarget
            do {
                target = try HTTPTarget.parse(value, defaultPath: "\(base)/health/readiness")
            } catch {
                throw .config(loaded.error(at: key, error.description))
            }
            let check = RemoteDependencyCheck(name: name, target: target, timeout: timeout)
            do {
                try registry.register(RegisteredCheck(name: name, implementation: check, timeout: timeout, refresh: refresh))
            } catch {
                throw .config(loaded.error(at: key, error.message))
            }
        }
        // One thread per dependency: each has at most one call in flight, so none waits.
        let engine = CheckEngine(registry: registry, threads: min(64, registry.checks.count), logger: logger)
        return ActuatorDialect.Dependencies(checks: registry.checks, engine: engine)
    }
}
