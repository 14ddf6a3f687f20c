import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthPluginLoader
import Logging
import NIOHTTP1

/// Builds the route table of every enabled dialect from the config, refusing two
/// dialects that claim one path and dependency URLs it cannot call.
struct RouteAssembly {
    let loaded: LoadedConfiguration
    let context: DialectContext

    private var http: HTTPConfiguration { loaded.configuration.http }

    func routes(dependencies: ActuatorDialect.Dependencies) throws(StartupError) -> RouteTable {
        var routes = RouteTable()
        var owners: [String: String] = [:]
        func add(_ dialect: String, _ register: (inout RouteTable) -> Void) throws(StartupError) {
            var table = RouteTable()
            register(&table)
            for path in table.paths {
                if let owner = owners[path] {
                    throw .config(
                        loaded.error(
                            at: ["http", .key(dialect)],
                            "the \(dialect) dialect's path \(path) is already served by the \(owner) dialect; give one of them another prefix"))
                }
                owners[path] = dialect
            }
            routes.add(contentsOf: table)
        }
        if http.native.enabled {
            let native = http.native
            let options = NativeDialect.Options(
                prefix: native.prefix, ignoresUnknownChecks: native.unknownChecks == .ignore, servesHealthJSON: native.healthJSON)
            try add("native") { NativeDialect(options: options, context: context).register(in: &$0) }
        }
        if http.kubernetes.enabled {
            let kubernetes = http.kubernetes
            let options = KubernetesDialect.Options(
                prefix: kubernetes.prefix, access: access(kubernetes.access),
                failureStatus: HTTPResponseStatus(statusCode: kubernetes.failureStatus))
            try add("kubernetes") { KubernetesDialect(options: options, context: context).register(in: &$0) }
        }
        if http.runscope.enabled {
            let runscope = http.runscope
            var headers = HTTPHeaders()
            for (name, value) in runscope.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
            let environment = runscope.environment
            let options = RunscopeDialect.Options(
                path: runscope.path, access: access(runscope.access),
                successStatus: HTTPResponseStatus(statusCode: runscope.successStatus),
                failureStatus: HTTPResponseStatus(statusCode: runscope.failureStatus), headers: headers,
                environmentPath: environment.enabled ? environment.path : nil,
                environmentSections: .init(builtIn: Set(environment.enabledSections), pluginSections: environment.pluginSections))
            try add("runscope") { RunscopeDialect(options: options, context: context).register(in: &$0) }
        }
        if http.actuator.enabled {
            let options = ActuatorDialect.Options(prefix: http.actuator.prefix, access: access(http.actuator.access))
            try add("actuator") {
                ActuatorDialect(options: options, context: context, dependencies: dependencies).register(in: &$0)
            }
        }
        if http.heartbeat.enabled {
            let options = HeartbeatDialect.Options(prefix: http.heartbeat.prefix, access: access(http.heartbeat.access))
            try add("heartbeat") { HeartbeatDialect(options: options, context: context).register(in: &$0) }
        }
        return routes
    }

    /// The dependency checks of `http.actuator.service_dependencies` and their engine;
    /// `.none` when the dialect is off or has none.
    func dependencies(logger: Logger) throws(StartupError) -> ActuatorDialect.Dependencies {
        let actuator = http.actuator
        guard actuator.enabled, !actuator.serviceDependencies.isEmpty else { return .none }
        let timeout = Duration.milliseconds(Int64(actuator.dependencyTimeout * 1000))
        let refresh = RefreshPolicy(
            successTTL: .milliseconds(Int64(actuator.dependencySuccessTTL * 1000)),
            failureTTL: .milliseconds(Int64(actuator.dependencyFailureTTL * 1000)))
        let base = RouteTable.base(actuator.prefix)
        var registry = CheckRegistry()
        for (name, value) in actuator.serviceDependencies.sorted(by: { $0.key < $1.key }) {
            let key: [ConfigPathElement] = ["http", "actuator", "service_dependencies", .key(name)]
            if context.registry.check(named: name) != nil {
                throw .config(
                    loaded.error(at: key, "dependency '\(name)' has the name of a configured check; /z/health lists both as components, so rename one"))
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

    private func access(_ setting: AccessSetting) -> EndpointAccess {
        switch setting {
        case .public: .public
        case .required: .required
        }
    }
}
