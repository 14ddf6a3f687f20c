import HealthJSON
import HealthCore
import HealthHTTP
public import HealthConfig
import NIOHTTP1

/// oarepo-heartbeat's endpoints under `/.well-known/heartbeat`:
///
/// - `/readiness` (the `readiness` group) and `/liveliness` (the `liveness` group):
///   `{"status": bool, "checks": {name: {"status": bool, "message": ...}}}`, 200 when
///   every check passes (or none is in the group), else 500. Readiness fails from the
///   moment shutdown begins (a `shutdown` entry says so). Without the secret on a
///   public endpoint, messages are left out and failures say "reason withheld".
/// - `/environ`: `{"status", "libraries": {plugin: {"version", "conflicts": null}},
///   "swift": [major, minor], ...plugin info sections}`; requires the secret.
public enum HeartbeatDialect {
    /// The dialect's routes, configured by `http.heartbeat`.
    public static func routes(_ config: HeartbeatDialectConfiguration, context: DialectContext) -> [HealthRoute] {
        let base = HealthRoute.base(config.prefix)
        let engine = context.engine
        let readiness = CheckSelector.fixed(context.registry.members(of: "readiness"), engine: engine)
        let liveness = CheckSelector.fixed(context.registry.members(of: "liveness"), engine: engine)
        return [
            HealthRoute(
                "\(base)/readiness", access: .checks(config.access), checks: readiness,
                reuse: .whileReportsStand { _ in context.lifecycle.isShuttingDown ? nil : 0 }
            ) { input in
                probe(input, shuttingDown: context.lifecycle.isShuttingDown, route: "heartbeat/readiness", context: context)
            },
            HealthRoute("\(base)/liveliness", access: .checks(config.access), checks: liveness, reuse: .whileReportsStand()) {
                input in
                probe(input, shuttingDown: false, route: "heartbeat/liveliness", context: context)
            },
            HealthRoute("\(base)/environ", access: .secret, renderAsync: { _ in await environ(context: context) }),
        ]
    }

    private static func probe(_ input: RouteInput, shuttingDown: Bool, route: String, context: DialectContext) -> HTTPResponse {
        var entries: [String: JSONValue] = [:]
        for report in input.reports {
            let passing = report.result.status.isPassing
            var entry: [String: JSONValue] = ["status": .bool(passing)]
            if input.visibility == .full {
                entry["message"] = .string(report.result.message)
                if let value = report.result.observedValue {
                    entry["observed_value"] = .double(value)
                    entry["observed_unit"] = .string(report.result.observedUnit)
                }
            } else if !passing {
                entry["message"] = .string(Visibility.withheld)
                context.logWithheld(report, endpoint: route)
            }
            entries[report.name] = .object(entry)
        }
        if shuttingDown {
            let reason = input.visibility == .full ? HostLifecycle.shutdownReason : Visibility.withheld
            entries["shutdown"] = .object(["status": .bool(false), "message": .string(reason)])
        }
        let healthy = !shuttingDown && input.reports.allSatisfy(\.result.status.isPassing)
        return .json(
            .object(["status": .bool(healthy), "checks": .object(entries)]),
            status: healthy ? .ok : .internalServerError, headers: HealthHeaders.noCache)
    }

    private static func environ(context: DialectContext) async -> HTTPResponse {
        let environment = context.environment
        var body: [String: JSONValue] = [
            "libraries": .object(
                environment.libraries.mapValues { .object(["version": .string($0), "conflicts": .null]) }),
            "swift": .array(environment.runtimeVersion.map(JSONValue.int)),
        ]
        let plugins = await environment.readPluginSections()
        body.merge(plugins.sections) { _, section in section }
        body["status"] = .bool(!plugins.anyFailed)
        return .json(context.redacted(body), headers: HealthHeaders.noCache)
    }
}
