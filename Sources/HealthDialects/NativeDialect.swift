import HealthJSON
import HealthCore
import HealthHTTP
public import HealthConfig
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
public enum NativeDialect {
    /// The dialect's routes, configured by `http.native`.
    public static func routes(_ config: NativeDialectConfiguration, context: DialectContext) -> [HealthRoute] {
        let base = HealthRoute.base(config.prefix)
        let registry = context.registry
        let pong = HTTPResponse.text("pong", headers: HealthHeaders.noCache).withContentLength()
        let checks = CheckSelector.query(
            registry: registry, engine: context.engine, ignoringUnknown: config.unknownChecks == .ignore)
        let available = registry.names
        let environment = context.environment
        let servesHealthJSON = config.healthJSON
        let health: @Sendable (RouteInput) -> HTTPResponse = { input in
            if servesHealthJSON && HealthJSONFormat.isRequested(by: input.request) {
                return HealthJSONFormat.response(for: input.reports, environment: environment)
            }
            return response(for: input.reports, available: available)
        }
        // Cached reports render alike per query and format: the bytes are sent again.
        let reuse = HealthRoute.Reuse.whileReportsStand { request in
            servesHealthJSON && HealthJSONFormat.isRequested(by: request) ? 1 : 0
        }
        var routes = [
            HealthRoute("\(base)/ping", access: .open) { _ in pong },
            HealthRoute("\(base)/status", access: .secret) { input in
                if StatusPageHTML.isRequested(by: input.request) {
                    return StatusPageHTML.response(registry: registry, engine: context.engine, environment: environment)
                }
                return CheckStatePage.response(registry: registry, engine: context.engine)
            },
            HealthRoute("\(base)/", access: .secret, checks: checks, reuse: reuse, render: health),
        ]
        if !base.isEmpty { routes.append(HealthRoute(base, access: .secret, checks: checks, reuse: reuse, render: health)) }
        return routes
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
