import HealthJSON
public import HealthCore
import HealthHTTP
public import HealthConfig
import NIOHTTP1

/// Spring-Actuator-style endpoints (flask-management-endpoints) under `/z`:
///
/// - `/z/health`: every configured check and every service dependency,
///   `{"status": "UP"|"DOWN", "components": {name: {"status": ...}}}`, 200 or 503.
/// - `/z/health/liveness` (the `liveness` group; `{"status": "UP"}` when empty) and
///   `/z/health/ping` (always UP).
/// - `/z/health/readiness`: the `readiness` group and the service dependencies;
///   `OUT_OF_SERVICE` (503) once shutdown has begun, as Spring's readiness state.
/// - `/z/health/<group>`: any other configured group; unknown groups are 404.
/// - `/z/info`: `{"app": {"name", "version"}, "trace.attributes": {...}}` and the
///   plugins' info sections; requires the secret.
/// - `/z/version`: the service version as plain text.
///
/// Component details (`{"details": {"message": ...}}`) are shown only to callers
/// presenting the secret, as Spring's `show-details: when-authorized`. A request that
/// carries ``RemoteDependencyCheck/markerHeader`` does not poll dependencies.
public enum ActuatorDialect {
    /// Remote services polled as components of health and readiness, and the engine
    /// that runs (and caches) those calls.
    public struct Dependencies: Sendable {
        /// One check per dependency.
        public let checks: [RegisteredCheck]
        /// Their engine.
        public let engine: CheckEngine?

        /// No dependencies.
        public static let none = Dependencies(checks: [], engine: nil)

        /// Creates dependencies.
        public init(checks: [RegisteredCheck], engine: CheckEngine?) {
            self.checks = checks
            self.engine = engine
        }
    }

    /// Names under `/z/health/` that are not groups.
    static let fixedEndpoints: Set<String> = ["liveness", "readiness", "ping"]
    /// Longest group name served (longer is 404, as the seed).
    static let maximumGroupBytes = 128

    /// The dialect's routes, configured by `http.actuator`.
    public static func routes(
        _ config: ActuatorDialectConfiguration, context: DialectContext, dependencies: Dependencies = .none
    ) -> [HealthRoute] {
        let base = HealthRoute.base(config.prefix)
        let registry = context.registry
        let access = HealthRoute.Access.checks(config.access)
        let render: @Sendable (RouteInput) -> HTTPResponse = { health($0, context: context) }
        func checks(_ local: [RegisteredCheck], withDependencies: Bool) -> CheckSelector {
            let engine = context.engine
            let localBatch = local.isEmpty ? [] : [CheckSelector.Batch(engine: engine, checks: local)]
            guard withDependencies, let remoteEngine = dependencies.engine, !dependencies.checks.isEmpty else {
                return CheckSelector { _ throws(HTTPError) in localBatch }
            }
            let all = localBatch + [CheckSelector.Batch(engine: remoteEngine, checks: dependencies.checks)]
            // A call from another actuator host's dependency check does not poll further.
            return CheckSelector { request throws(HTTPError) in
                request.headers[RemoteDependencyCheck.markerHeader].isEmpty ? all : localBatch
            }
        }
        let readiness = checks(registry.members(of: "readiness"), withDependencies: true)
        // Kept apart by whether the caller is another host's dependency check (it does
        // not poll dependencies); readiness renders afresh once shutdown has begun.
        let reuse = HealthRoute.Reuse.whileReportsStand { request in
            request.headers[RemoteDependencyCheck.markerHeader].isEmpty ? 0 : 1
        }
        let readinessReuse = HealthRoute.Reuse.whileReportsStand { request in
            context.lifecycle.isShuttingDown ? nil : request.headers[RemoteDependencyCheck.markerHeader].isEmpty ? 0 : 1
        }
        let version = context.environment.serviceVersion
        var routes = [
            // Every configured check, as Spring's /actuator/health shows every component.
            HealthRoute(
                "\(base)/health", access: access, checks: checks(registry.checks, withDependencies: true), reuse: reuse,
                render: render),
            HealthRoute("\(base)/health/ping", access: .open) { _ in status("UP", components: nil, status: .ok) },
            HealthRoute(
                "\(base)/health/liveness", access: access, checks: checks(registry.members(of: "liveness"), withDependencies: false),
                reuse: reuse, render: render),
            HealthRoute(
                "\(base)/health/readiness", access: access,
                checks: CheckSelector { request throws(HTTPError) in
                    context.lifecycle.isShuttingDown ? [] : try readiness.batches(for: request)
                }, reuse: readinessReuse
            ) { input in
                if context.lifecycle.isShuttingDown {
                    return status("OUT_OF_SERVICE", components: nil, status: .serviceUnavailable)
                }
                return health(input, context: context)
            },
            HealthRoute("\(base)/info", access: .secret, renderAsync: { _ in await info(context: context) }),
            HealthRoute("\(base)/version", access: .open) { _ in .text(version, headers: HealthHeaders.noCache) },
        ]
        let groups = Set(registry.checks.flatMap(\.groups))
            .subtracting(fixedEndpoints).filter { $0.utf8.count <= maximumGroupBytes }
        for group in groups.sorted() {
            routes.append(
                HealthRoute(
                    "\(base)/health/\(group)", access: access, checks: checks(registry.members(of: group), withDependencies: false),
                    reuse: reuse, render: render))
        }
        return routes
    }

    private static func health(_ input: RouteInput, context: DialectContext) -> HTTPResponse {
        guard !input.reports.isEmpty else { return status("UP", components: nil, status: .ok) }
        var components: [String: JSONValue] = [:]
        for report in input.reports {
            let passing = report.result.status.isPassing
            var component: [String: JSONValue] = ["status": .string(passing ? "UP" : "DOWN")]
            if input.visibility == .full {
                var details: [String: JSONValue] = ["message": .string(report.result.message)]
                if let value = report.result.observedValue {
                    details["observedValue"] = .double(value)
                    details["observedUnit"] = .string(report.result.observedUnit)
                }
                component["details"] = .object(details)
            } else if !passing {
                context.logWithheld(report, endpoint: "actuator health")
            }
            components[report.name] = .object(component)
        }
        let healthy = input.reports.allSatisfy(\.result.status.isPassing)
        return status(healthy ? "UP" : "DOWN", components: components, status: healthy ? .ok : .serviceUnavailable)
    }

    private static func info(context: DialectContext) async -> HTTPResponse {
        let environment = context.environment
        var body: [String: JSONValue] = [
            "app": .object(["name": .string(environment.serviceName), "version": .string(environment.serviceVersion)]),
            "trace.attributes": .object(environment.resourceAttributes),
        ]
        for (name, value) in await environment.readPluginSections().sections { body[name] = value }
        return .json(context.redacted(body), headers: HealthHeaders.noCache)
    }

    static func status(_ text: String, components: [String: JSONValue]?, status: HTTPResponseStatus) -> HTTPResponse {
        var body: [String: JSONValue] = ["status": .string(text)]
        if let components { body["components"] = .object(components) }
        return .json(.object(body), status: status, headers: HealthHeaders.noCache)
    }
}
