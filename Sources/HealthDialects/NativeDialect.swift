import HealthCore
import HealthHTTP
import NIOHTTP1

/// The native API, impact-stack-observability's `Health` extension:
///
/// - `GET {prefix}/ping`: 200 `pong` (text/plain), no auth.
/// - `GET {prefix}/` and `{prefix}`: runs the selected checks and answers
///   `{"available_checks": [...], "checks": {name: bool}, "health": "running"|"degraded"}`,
///   200 when all pass (warn counts as passing), else 503. `?checks=` selects checks:
///   missing or `_defaults` = the defaults, `a,b` = those, empty = none. Unknown names
///   get 400 naming them, unless configured to be ignored as the seed does.
public struct NativeDialect: Sendable {
    /// Settings of the dialect.
    public struct Options: Sendable {
        /// Path prefix, e.g. `/health`.
        public var prefix: String
        /// Whether unknown check names are ignored (the seed) instead of rejected.
        public var ignoresUnknownChecks: Bool

        /// Creates options.
        public init(prefix: String = "/health", ignoresUnknownChecks: Bool = false) {
            self.prefix = prefix
            self.ignoresUnknownChecks = ignoresUnknownChecks
        }
    }

    private let options: Options
    private let registry: CheckRegistry
    private let engine: CheckEngine
    private let auth: SharedSecretAuth

    /// Creates the dialect over a registry and the engine that runs its checks.
    public init(options: Options, registry: CheckRegistry, engine: CheckEngine, auth: SharedSecretAuth) {
        self.options = options
        self.registry = registry
        self.engine = engine
        self.auth = auth
    }

    /// Adds the dialect's routes.
    public func register(in routes: inout RouteTable) {
        let base = options.prefix.hasSuffix("/") ? String(options.prefix.dropLast()) : options.prefix
        let pong = HTTPResponse.text("pong", headers: HealthHeaders.noCache)
        routes.get("\(base)/ping") { _ in .now(pong) }
        let health: RouteTable.Handler = { request in self.health(request) }
        routes.get("\(base)/", health)
        if !base.isEmpty { routes.get(base, health) }
    }

    private func health(_ request: HTTPRequest) -> HTTPReply {
        guard auth.allows(request) else { return .now(SharedSecretAuth.unauthorizedResponse) }
        let values = request.query.all("checks")
        guard values.count <= 1 else {
            return .now(
                .error(
                    .badRequest, code: "bad_query", message: "the checks parameter is given \(values.count) times; give it once",
                    headers: HealthHeaders.noCache))
        }
        let (checks, unknown) = registry.resolve(.parse(queryValue: values.first))
        if !unknown.isEmpty && !options.ignoresUnknownChecks {
            return .now(
                .json(
                    UnknownChecksBody(
                        error: "unknown_checks",
                        message: "no check is registered as " + unknown.map { "'\($0)'" }.joined(separator: ", "),
                        unknownChecks: unknown, availableChecks: registry.names),
                    status: .badRequest, headers: HealthHeaders.noCache))
        }
        let available = registry.names
        guard !checks.isEmpty else { return .now(Self.response(for: [], available: available)) }
        if let ready = engine.reportsWithoutWaiting(for: checks) {
            return .now(Self.response(for: ready, available: available))
        }
        let engine = self.engine
        return .later {
            Self.response(for: await engine.reports(for: checks), available: available)
        }
    }

    static func response(for reports: [CheckReport], available: [String]) -> HTTPResponse {
        var results: [String: Bool] = [:]
        for report in reports { results[report.name] = report.result.status.isPassing }
        let healthy = results.values.allSatisfy { $0 }
        let body = HealthBody(health: healthy ? "running" : "degraded", availableChecks: available, checks: results)
        return .json(body, status: healthy ? .ok : .serviceUnavailable, headers: HealthHeaders.noCache)
    }

    struct HealthBody: Encodable {
        let health: String
        let availableChecks: [String]
        let checks: [String: Bool]

        enum CodingKeys: String, CodingKey {
            case health
            case availableChecks = "available_checks"
            case checks
        }
    }

    struct UnknownChecksBody: Encodable {
        let error: String
        let message: String
        let unknownChecks: [String]
        let availableChecks: [String]

        enum CodingKeys: String, CodingKey {
            case error, message
            case unknownChecks = "unknown_checks"
            case availableChecks = "available_checks"
        }
    }
}
