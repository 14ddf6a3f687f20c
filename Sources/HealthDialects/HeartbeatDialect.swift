import HealthJSON
import HealthCore
import HealthHTTP
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
public struct HeartbeatDialect: Sendable {
    /// Settings of the dialect.
    public struct Options: Sendable {
        /// Path prefix.
        public var prefix: String
        /// Who may call readiness and liveliness.
        public var access: EndpointAccess

        /// Creates options.
        public init(prefix: String = "/.well-known/heartbeat", access: EndpointAccess = .public) {
            self.prefix = prefix
            self.access = access
        }
    }

    private let options: Options
    private let context: DialectContext

    /// Creates the dialect.
    public init(options: Options, context: DialectContext) {
        self.options = options
        self.context = context
    }

    /// Adds the dialect's routes.
    public func register(in routes: inout RouteTable) {
        let base = RouteTable.base(options.prefix)
        let readiness = context.registry.members(of: "readiness")
        let liveness = context.registry.members(of: "liveness")
        routes.get("\(base)/readiness") { request in self.probe(request, checks: readiness, isReadiness: true) }
        routes.get("\(base)/liveliness") { request in self.probe(request, checks: liveness, isReadiness: false) }
        routes.get("\(base)/environ") { request in self.environ(request) }
    }

    private func probe(_ request: HTTPRequest, checks: [RegisteredCheck], isReadiness: Bool) -> HTTPReply {
        guard let visibility = context.visibility(of: request, access: options.access) else {
            return .now(SharedSecretAuth.unauthorizedResponse)
        }
        let shuttingDown = isReadiness && context.lifecycle.isShuttingDown
        let context = self.context
        let endpoint = isReadiness ? "heartbeat/readiness" : "heartbeat/liveliness"
        return context.reply(for: checks) { reports in
            var entries: [String: JSONValue] = [:]
            for report in reports {
                let passing = report.result.status.isPassing
                var entry: [String: JSONValue] = ["status": .bool(passing)]
                if visibility == .full {
                    entry["message"] = .string(report.result.message)
                    if let value = report.result.observedValue {
                        entry["observed_value"] = .double(value)
                        entry["observed_unit"] = .string(report.result.observedUnit)
                    }
                } else if !passing {
                    entry["message"] = .string(Visibility.withheld)
                    context.logWithheld(report, endpoint: endpoint)
                }
                entries[report.name] = .object(entry)
            }
            if shuttingDown {
                let reason = visibility == .full ? HostLifecycle.shutdownReason : Visibility.withheld
                entries["shutdown"] = .object(["status": .bool(false), "message": .string(reason)])
            }
            let healthy = !shuttingDown && reports.allSatisfy(\.result.status.isPassing)
            return .json(
                .object(["status": .bool(healthy), "checks": .object(entries)]),
                status: healthy ? .ok : .internalServerError, headers: HealthHeaders.noCache)
        }
    }

    private func environ(_ request: HTTPRequest) -> HTTPReply {
        guard context.auth.allows(request) else { return .now(SharedSecretAuth.unauthorizedResponse) }
        let environment = context.environment
        return .later {
            var body: [String: JSONValue] = [
                "libraries": .object(
                    environment.libraries.mapValues { .object(["version": .string($0), "conflicts": .null]) }),
                "swift": .array(environment.runtimeVersion.map(JSONValue.int)),
            ]
            let plugins = await environment.readPluginSections()
            body.merge(plugins.sections) { _, section in section }
            let healthy = !plugins.anyFailed
            body["status"] = .bool(healthy)
            return .json(context.redacted(body), headers: HealthHeaders.noCache)
        }
    }
}
