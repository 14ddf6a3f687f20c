import HealthCore
import HealthHTTP
import NIOHTTP1

/// `/livez`, `/readyz` and `/startupz` over the `liveness`, `readiness` and `startup`
/// groups, answering as the Kubernetes API server does:
///
/// - `ok` (200) when every check of the group passes (warn passes; no checks passes).
/// - `?verbose`: one `[+]name ok` / `[-]name failed: reason` line per check, then
///   `readyz check passed`. A failure always prints the lines, then `readyz check
///   failed`, with the failure status (500).
/// - `?exclude=name` (repeatable) skips a check (`[+]name excluded: ok`); names that
///   match nothing add a `warn:` line.
/// - `/readyz/<name>` runs one check of the group.
/// - Readiness fails (`[-]shutdown failed`) from the moment shutdown begins.
/// - Public by default: without the secret a failure prints `reason withheld` and the
///   reason goes to the log.
public struct KubernetesDialect: Sendable {
    /// Settings of the dialect.
    public struct Options: Sendable {
        /// Put before `/livez` etc.; empty for none.
        public var prefix: String
        /// Who may call the endpoints.
        public var access: EndpointAccess
        /// The status of a failure.
        public var failureStatus: HTTPResponseStatus

        /// Creates options.
        public init(prefix: String = "", access: EndpointAccess = .public, failureStatus: HTTPResponseStatus = .internalServerError) {
            self.prefix = prefix
            self.access = access
            self.failureStatus = failureStatus
        }
    }

    /// The three endpoints and their groups.
    static let endpoints: [(name: String, group: String)] = [
        ("livez", "liveness"), ("readyz", "readiness"), ("startupz", "startup"),
    ]

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
        for endpoint in Self.endpoints {
            let members = context.registry.members(of: endpoint.group)
            routes.get("\(base)/\(endpoint.name)") { request in
                self.group(request, endpoint: endpoint.name, members: members)
            }
            for check in members {
                routes.get("\(base)/\(endpoint.name)/\(check.name)") { request in
                    self.single(request, endpoint: endpoint.name, check: check)
                }
            }
        }
    }

    private func group(_ request: HTTPRequest, endpoint: String, members: [RegisteredCheck]) -> HTTPReply {
        guard let visibility = context.visibility(of: request, access: options.access) else {
            return .now(SharedSecretAuth.unauthorizedResponse)
        }
        let verbose = request.query.contains("verbose")
        let excludedNames = request.query.all("exclude").flatMap { $0.split(separator: ",").map(String.init) }
        let unmatched = excludedNames.filter { name in !members.contains { $0.name == name } }.uniqued()
        let excluded = Set(excludedNames)
        let toRun = members.filter { !excluded.contains($0.name) }
        let shuttingDown = endpoint == "readyz" && context.lifecycle.isShuttingDown
        let context = self.context
        let failureStatus = options.failureStatus
        return context.reply(for: toRun) { reports in
            var lines = ""
            var failed = false
            var reportIndex = 0
            for check in members {
                if excluded.contains(check.name) {
                    lines += "[+]\(check.name) excluded: ok\n"
                    continue
                }
                let report = reports[reportIndex]
                reportIndex += 1
                if report.result.status.isPassing {
                    lines += "[+]\(check.name) ok\n"
                } else {
                    failed = true
                    lines += "[-]\(check.name) failed: \(Self.reason(report.result.message, visibility))\n"
                    if visibility == .statusOnly { context.logWithheld(report, endpoint: endpoint) }
                }
            }
            if shuttingDown {
                failed = true
                lines += "[-]shutdown failed: \(Self.reason(HostLifecycle.shutdownReason, visibility))\n"
            }
            if !unmatched.isEmpty {
                let quoted = unmatched.map { "\"\($0)\"" }.joined(separator: ",")
                lines += "warn: some health checks cannot be excluded: no matches for \(quoted)\n"
            }
            if failed { return Self.text(lines + "\(endpoint) check failed\n", status: failureStatus) }
            return Self.text(verbose ? lines + "\(endpoint) check passed\n" : "ok", status: .ok)
        }
    }

    private func single(_ request: HTTPRequest, endpoint: String, check: RegisteredCheck) -> HTTPReply {
        guard let visibility = context.visibility(of: request, access: options.access) else {
            return .now(SharedSecretAuth.unauthorizedResponse)
        }
        let context = self.context
        let failureStatus = options.failureStatus
        return context.reply(for: [check]) { reports in
            guard let report = reports.first, !report.result.status.isPassing else { return Self.text("ok", status: .ok) }
            if visibility == .statusOnly { context.logWithheld(report, endpoint: "\(endpoint)/\(check.name)") }
            return Self.text("internal server error: \(Self.reason(report.result.message, visibility))\n", status: failureStatus)
        }
    }

    private static func reason(_ message: String, _ visibility: Visibility) -> String {
        visibility == .full ? (message.isEmpty ? "failed" : message) : Visibility.withheld
    }

    /// Plain text as the API server sends it (`http.Error` adds `nosniff`).
    static func text(_ body: String, status: HTTPResponseStatus) -> HTTPResponse {
        var headers = HealthHeaders.noCache
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return .text(body, status: status, headers: headers)
    }
}

extension Array where Element: Hashable {
    /// The elements without repeats, first occurrence kept.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
