import HealthJSON
import HealthCore
import HealthHTTP
import NIOHTTP1

/// Spring-Actuator-style endpoints (flask-management-endpoints) under `/z`:
///
/// - `/z/health`: the default checks and every service dependency,
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
public struct ActuatorDialect: Sendable {
    /// Settings of the dialect.
    public struct Options: Sendable {
        /// Path prefix.
        public var prefix: String
        /// Who may call the health endpoints.
        public var access: EndpointAccess

        /// Creates options.
        public init(prefix: String = "/z", access: EndpointAccess = .public) {
            self.prefix = prefix
            self.access = access
        }
    }

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

    private let options: Options
    private let context: DialectContext
    private let dependencies: Dependencies

    /// Creates the dialect.
    public init(options: Options, context: DialectContext, dependencies: Dependencies = .none) {
        self.options = options
        self.context = context
        self.dependencies = dependencies
    }

    /// Names under `/z/health/` that are not groups.
    static let fixedEndpoints: Set<String> = ["liveness", "readiness", "ping"]
    /// Longest group name served (longer is 404, as the seed).
    static let maximumGroupBytes = 128

    /// Adds the dialect's routes.
    public func register(in routes: inout RouteTable) {
        let base = RouteTable.base(options.prefix)
        let registry = context.registry
        routes.get("\(base)/health") { request in
            self.health(request, checks: registry.defaults, withDependencies: true)
        }
        routes.get("\(base)/health/ping") { _ in .now(Self.status("UP", components: nil, status: .ok)) }
        routes.get("\(base)/health/liveness") { request in
            self.health(request, checks: registry.members(of: "liveness"), withDependencies: false)
        }
        routes.get("\(base)/health/readiness") { request in
            if self.context.lifecycle.isShuttingDown {
                return .now(Self.status("OUT_OF_SERVICE", components: nil, status: .serviceUnavailable))
            }
            return self.health(
                request, checks: registry.members(of: "readiness"), withDependencies: true)
        }
        let groups = Set(registry.checks.flatMap(\.groups))
            .subtracting(Self.fixedEndpoints).filter { $0.utf8.count <= Self.maximumGroupBytes }
        for group in groups.sorted() {
            let members = registry.members(of: group)
            routes.get("\(base)/health/\(group)") { request in
                self.health(request, checks: members, withDependencies: false)
            }
        }
        routes.get("\(base)/info") { request in self.info(request) }
        let version = context.environment.serviceVersion
        routes.get("\(base)/version") { _ in .now(.text(version, headers: HealthHeaders.noCache)) }
    }

    private func health(
        _ request: HTTPRequest, checks: [RegisteredCheck], withDependencies: Bool
    ) -> HTTPReply {
        guard let visibility = context.visibility(of: request, access: options.access) else {
            return .now(SharedSecretAuth.unauthorizedResponse)
        }
        let isCascade = !request.headers[RemoteDependencyCheck.markerHeader].isEmpty
        let remote = withDependencies && !isCascade ? dependencies.checks : []
        let context = self.context
        let build: @Sendable ([CheckReport], [CheckReport]) -> HTTPResponse = { local, remote in
            let all = local + remote
            guard !all.isEmpty else { return Self.status("UP", components: nil, status: .ok) }
            var components: [String: JSONValue] = [:]
            for report in all {
                let passing = report.result.status.isPassing
                var component: [String: JSONValue] = ["status": .string(passing ? "UP" : "DOWN")]
                if visibility == .full {
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
            let healthy = all.allSatisfy(\.result.status.isPassing)
            return Self.status(healthy ? "UP" : "DOWN", components: components, status: healthy ? .ok : .serviceUnavailable)
        }
        let engine = context.engine
        let remoteEngine = dependencies.engine
        if let local = checks.isEmpty ? [] : engine.reportsWithoutWaiting(for: checks),
            let remoteReports = remote.isEmpty ? [] : remoteEngine?.reportsWithoutWaiting(for: remote)
        {
            return .now(build(local, remoteReports))
        }
        return .later {
            async let local = checks.isEmpty ? [] : engine.reports(for: checks)
            async let remoteReports = remote.isEmpty ? [] : (await remoteEngine?.reports(for: remote) ?? [])
            return build(await local, await remoteReports)
        }
    }

    private func info(_ request: HTTPRequest) -> HTTPReply {
        guard context.auth.allows(request) else { return .now(SharedSecretAuth.unauthorizedResponse) }
        let environment = context.environment
        return .later {
            var body: [String: JSONValue] = [
                "app": .object(["name": .string(environment.serviceName), "version": .string(environment.serviceVersion)]),
                "trace.attributes": .object(environment.resourceAttributes),
            ]
            for (name, value) in await environment.readPluginSections().sections { body[name] = value }
            return .json(context.redacted(body), headers: HealthHeaders.noCache)
        }
    }

    static func status(_ text: String, components: [String: JSONValue]?, status: HTTPResponseStatus) -> HTTPResponse {
        var body: [String: JSONValue] = ["status": .string(text)]
        if let components { body["components"] = .object(components) }
        return .json(.object(body), status: status, headers: HealthHeaders.noCache)
    }
}
