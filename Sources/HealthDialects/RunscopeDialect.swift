public import HealthConfig
import HealthCore
import HealthHTTP
import HealthJSON
import Logging
import NIOHTTP1

/// Runscope healthcheck's endpoints:
///
/// - `GET /healthcheck`: runs the default checks (or `?checks=a,b`) and answers
///   `{"hostname", "status": "success"|"failure", "timestamp", "results": [{"checker",
///   "output", "passed", "timestamp", "expires"}]}`, 200 or 500 (both configurable), with
///   the configured extra headers. `timestamp` is when a result was produced and
///   `expires` until when the engine reuses it (seconds since 1970, as Python's
///   `time.time()`). Failures are logged.
/// - `GET /environment`: the environment dump (see ``EnvironmentDump``); always requires
///   the secret.
public enum RunscopeDialect {
    /// The dialect's routes, configured by `http.runscope`.
    public static func routes(_ config: RunscopeDialectConfiguration, context: DialectContext) -> [HealthRoute] {
        var extraHeaders = HealthHeaders.noCache
        for (name, value) in config.headers.sorted(by: { $0.key < $1.key }) { extraHeaders.replaceOrAdd(name: name, value: value) }
        let headers = extraHeaders
        let success = HTTPResponseStatus(statusCode: config.successStatus)
        let failure = HTTPResponseStatus(statusCode: config.failureStatus)
        let checks = CheckSelector.query(registry: context.registry, engine: context.engine)
        var routes = [
            HealthRoute(config.path, access: .checks(config.access), checks: checks) { input in
                healthcheck(input, headers: headers, success: success, failure: failure, context: context)
            }
        ]
        let environment = config.environment
        if environment.enabled {
            let sections = EnvironmentDump.Sections(
                builtIn: Set(environment.enabledSections), pluginSections: environment.pluginSections)
            routes.append(EnvironmentDump.route(environment.path, sections: sections, context: context))
        }
        return routes
    }

    private static func healthcheck(
        _ input: RouteInput, headers: HTTPHeaders, success: HTTPResponseStatus, failure: HTTPResponseStatus,
        context: DialectContext
    ) -> HTTPResponse {
        var results: [JSONValue] = []
        var passed = true
        for report in input.reports {
            let passing = report.result.status.isPassing
            if !passing {
                passed = false
                context.logger.warning(
                    "healthcheck: check failed",
                    metadata: ["check.name": "\(report.name)", "check.message": "\(report.result.message)"])
            }
            let output = input.visibility == .full ? report.result.message : (passing ? "" : Visibility.withheld)
            let produced = report.finishedAt.timeIntervalSince1970
            results.append(
                .object([
                    "checker": .string(report.name), "output": .string(output), "passed": .bool(passing),
                    "timestamp": .double(produced),
                    "expires": .double(report.expiresAt?.timeIntervalSince1970 ?? produced),
                ]))
        }
        let body: JSONValue = .object([
            "hostname": .string(context.environment.hostname),
            "status": .string(passed ? "success" : "failure"),
            "timestamp": .double(WallTime.now.timeIntervalSince1970),
            "results": .array(results),
        ])
        return .json(body, status: passed ? success : failure, headers: headers)
    }
}
