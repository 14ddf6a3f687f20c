import HealthJSON
import Foundation
import HealthCore
import HealthHTTP
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
public struct RunscopeDialect: Sendable {
    /// Settings of the dialect.
    public struct Options: Sendable {
        /// Path of the check endpoint.
        public var path: String
        /// Who may call it.
        public var access: EndpointAccess
        /// Status when every check passes.
        public var successStatus: HTTPResponseStatus
        /// Status when a check fails.
        public var failureStatus: HTTPResponseStatus
        /// Extra response headers.
        public var headers: HTTPHeaders
        /// Path of the environment dump, or `nil` when it is off.
        public var environmentPath: String?
        /// The environment dump's sections.
        public var environmentSections: EnvironmentDump.Sections

        /// Creates options.
        public init(
            path: String = "/healthcheck", access: EndpointAccess = .required, successStatus: HTTPResponseStatus = .ok,
            failureStatus: HTTPResponseStatus = .internalServerError, headers: HTTPHeaders = [:],
            environmentPath: String? = "/environment", environmentSections: EnvironmentDump.Sections = .all
        ) {
            self.path = path
            self.access = access
            self.successStatus = successStatus
            self.failureStatus = failureStatus
            self.headers = headers
            self.environmentPath = environmentPath
            self.environmentSections = environmentSections
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
        routes.get(options.path) { request in self.healthcheck(request) }
        if let path = options.environmentPath {
            let dump = EnvironmentDump(context: context, sections: options.environmentSections)
            routes.get(path) { request in dump.respond(to: request) }
        }
    }

    private func healthcheck(_ request: HTTPRequest) -> HTTPReply {
        guard let visibility = context.visibility(of: request, access: options.access) else {
            return .now(SharedSecretAuth.unauthorizedResponse)
        }
        let checks: [RegisteredCheck]
        switch CheckQuery.select(request, in: context.registry) {
        case .success(let selected): checks = selected
        case .failure(let rejection): return .now(rejection.response)
        }
        let context = self.context
        let options = self.options
        return context.reply(for: checks) { reports in
            var results: [JSONValue] = []
            var passed = true
            for report in reports {
                let passing = report.result.status.isPassing
                if !passing {
                    passed = false
                    context.logger.warning(
                        "healthcheck: check \(report.name) failed: \(report.result.message)",
                        metadata: ["check.name": "\(report.name)"])
                }
                let output = visibility == .full ? report.result.message : (passing ? "" : Visibility.withheld)
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
                "timestamp": .double(Date().timeIntervalSince1970),
                "results": .array(results),
            ])
            var headers = HealthHeaders.noCache
            for (name, value) in options.headers { headers.replaceOrAdd(name: name, value: value) }
            return .json(body, status: passed ? options.successStatus : options.failureStatus, headers: headers)
        }
    }
}
