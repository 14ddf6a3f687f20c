import HealthJSON
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
/// - With `Accept: application/health+json`, `{prefix}/` answers in the IETF draft's
///   format instead (see ``HealthJSONFormat``).
/// - `GET {prefix}/status` (secret needed): the engine's state of every check, for
///   operators (see ``CheckStatePage``); runs nothing.
public struct NativeDialect: Sendable {
    /// Settings of the dialect.
    public struct Options: Sendable {
        /// Path prefix, e.g. `/health`.
        public var prefix: String
        /// Whether unknown check names are ignored (the seed) instead of rejected.
        public var ignoresUnknownChecks: Bool
        /// Whether `Accept: application/health+json` gets the IETF draft's format.
        public var servesHealthJSON: Bool

        /// Creates options.
        public init(prefix: String = "/health", ignoresUnknownChecks: Bool = false, servesHealthJSON: Bool = true) {
            self.prefix = prefix
            self.ignoresUnknownChecks = ignoresUnknownChecks
            self.servesHealthJSON = servesHealthJSON
        }
    }

    private let options: Options
    private let context: DialectContext
    private var registry: CheckRegistry { context.registry }

    /// Creates the dialect.
    public init(options: Options, context: DialectContext) {
        self.options = options
        self.context = context
    }

    /// Adds the dialect's routes.
    public func register(in routes: inout RouteTable) {
        let base = RouteTable.base(options.prefix)
        let pong = HTTPResponse.text("pong", headers: HealthHeaders.noCache).withContentLength()
        routes.get("\(base)/ping") { _ in .now(pong) }
        let context = self.context
        routes.get("\(base)/status") { request in
            guard context.auth.allows(request) else { return .now(SharedSecretAuth.unauthorizedResponse) }
            return .now(CheckStatePage.response(registry: context.registry, engine: context.engine))
        }
        let health: RouteTable.Handler = { request in self.health(request) }
        routes.get("\(base)/", health)
        if !base.isEmpty { routes.get(base, health) }
    }

    private func health(_ request: HTTPRequest) -> HTTPReply {
        guard context.auth.allows(request) else { return .now(SharedSecretAuth.unauthorizedResponse) }
        let checks: [RegisteredCheck]
        switch CheckQuery.select(request, in: registry, ignoringUnknown: options.ignoresUnknownChecks) {
        case .success(let selected): checks = selected
        case .failure(let rejection): return .now(rejection.response)
        }
        if options.servesHealthJSON && HealthJSONFormat.isRequested(by: request) {
            let environment = context.environment
            return context.reply(for: checks) { HealthJSONFormat.response(for: $0, environment: environment) }
        }
        let available = registry.names
        return context.reply(for: checks) { Self.response(for: $0, available: available) }
    }

    /// `{"available_checks":[...],"checks":{name:bool},"health":"running"|"degraded"}`, keys
    /// sorted as Flask's `jsonify` sorts them; written by hand as it is the hot path.
    static func response(for reports: [CheckReport], available: [String]) -> HTTPResponse {
        var results: [(name: String, passing: Bool)] = reports.map { ($0.name, $0.result.status.isPassing) }
        results.sort { $0.name < $1.name }
        let healthy = results.allSatisfy(\.passing)
        var body = JSONText()
        body.raw("{\"available_checks\":")
        body.strings(available)
        body.raw(",\"checks\":{")
        for (index, result) in results.enumerated() {
            if index > 0 { body.raw(",") }
            body.string(result.name)
            body.raw(":")
            body.bool(result.passing)
        }
        body.raw("},\"health\":")
        healthy ? body.raw("\"running\"}") : body.raw("\"degraded\"}")
        return .json(body, status: healthy ? .ok : .serviceUnavailable, headers: HealthHeaders.noCache)
    }
}
