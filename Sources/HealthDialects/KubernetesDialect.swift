import HealthCore
import HealthHTTP
public import HealthConfig
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
public enum KubernetesDialect {
    /// The three endpoints and their groups.
    static let endpoints: [(name: String, group: String)] = [
        ("livez", "liveness"), ("readyz", "readiness"), ("startupz", "startup"),
    ]

    /// The dialect's routes, configured by `http.kubernetes`.
    public static func routes(_ config: KubernetesDialectConfiguration, context: DialectContext) -> [HealthRoute] {
        let base = HealthRoute.base(config.prefix)
        let failureStatus = HTTPResponseStatus(statusCode: config.failureStatus)
        var routes: [HealthRoute] = []
        for endpoint in endpoints {
            let members = context.registry.members(of: endpoint.group)
            let memberNames = Set(members.map(\.name))
            let engine = context.engine
            let selector = CheckSelector { request throws(HTTPError) in
                let excluded = excludedNames(request)
                let toRun = excluded.isEmpty ? members : members.filter { !excluded.contains($0.name) }
                return toRun.isEmpty ? [] : [CheckSelector.Batch(engine: engine, checks: toRun)]
            }
            let isReadiness = endpoint.name == "readyz"
            // Readiness renders afresh once shutdown has begun (it reads the lifecycle).
            let reuse = HealthRoute.Reuse.whileReportsStand { _ in isReadiness && context.lifecycle.isShuttingDown ? nil : 0 }
            routes.append(
                HealthRoute("\(base)/\(endpoint.name)", access: .checks(config.access), checks: selector, reuse: reuse) {
                    input in
                    group(
                        input, endpoint: endpoint.name, members: members, memberNames: memberNames,
                        shuttingDown: isReadiness && context.lifecycle.isShuttingDown, failureStatus: failureStatus,
                        context: context)
                })
            for check in members {
                let route = "\(base)/\(endpoint.name)/\(check.name)"
                routes.append(
                    HealthRoute(
                        route, access: .checks(config.access), checks: .fixed([check], engine: engine), reuse: .whileReportsStand()
                    ) { input in
                        single(input, route: route, failureStatus: failureStatus, context: context)
                    })
            }
        }
        return routes
    }

    private static func excludedNames(_ request: HTTPRequest) -> [String] {
        request.query.all("exclude").flatMap { $0.split(separator: ",").map(String.init) }
    }

    private static func group(
        _ input: RouteInput, endpoint: String, members: [RegisteredCheck], memberNames: Set<String>, shuttingDown: Bool,
        failureStatus: HTTPResponseStatus, context: DialectContext
    ) -> HTTPResponse {
        let visibility = input.visibility
        let excludedNames = excludedNames(input.request)
        let excluded = Set(excludedNames)
        let unmatched = excludedNames.filter { !memberNames.contains($0) }.uniqued()
        var lines = ""
        var failed = false
        var reportIndex = 0
        for check in members {
            if excluded.contains(check.name) {
                lines += "[+]\(check.name) excluded: ok\n"
                continue
            }
            let report = input.reports[reportIndex]
            reportIndex += 1
            if report.result.status.isPassing {
                lines += "[+]\(check.name) ok\n"
            } else {
                failed = true
                lines += "[-]\(check.name) failed: \(reason(report.result.message, visibility))\n"
                if visibility == .statusOnly { context.logWithheld(report, endpoint: endpoint) }
            }
        }
        if shuttingDown {
            failed = true
            lines += "[-]shutdown failed: \(reason(HostLifecycle.shutdownReason, visibility))\n"
        }
        if !unmatched.isEmpty {
            let quoted = unmatched.map { "\"\($0)\"" }.joined(separator: ",")
            lines += "warn: some health checks cannot be excluded: no matches for \(quoted)\n"
        }
        if failed { return text(lines + "\(endpoint) check failed\n", status: failureStatus) }
        return text(input.request.query.contains("verbose") ? lines + "\(endpoint) check passed\n" : "ok", status: .ok)
    }

    private static func single(
        _ input: RouteInput, route: String, failureStatus: HTTPResponseStatus, context: DialectContext
    ) -> HTTPResponse {
        guard let report = input.reports.first, !report.result.status.isPassing else { return text("ok", status: .ok) }
        if input.visibility == .statusOnly { context.logWithheld(report, endpoint: route) }
        return text("internal server error: \(reason(report.result.message, input.visibility))\n", status: failureStatus)
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
