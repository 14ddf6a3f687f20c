import Foundation
import Logging
import Testing
import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthMetrics
import HealthTracing
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Routes under test without sockets or compiled plugins (HummingbirdTesting's
/// `.router` mode): the real ``RoutePipeline`` over checks whose results the test sets,
/// called directly. End-to-end tests through the real server and real plugins stay in
/// the dialect suites; these cover the pipeline's own decisions.
struct RouterHarness {
    /// Checks whose next result the test decides; each counts its runs.
    final class FakeChecks: Sendable {
        private let results = NIOLockedValueBox<[String: CheckResult]>([:])
        private let runs = NIOLockedValueBox<[String: Int]>([:])

        func set(_ name: String, _ result: CheckResult) { results.withLockedValue { $0[name] = result } }
        func runCount(_ name: String) -> Int { runs.withLockedValue { $0[name] ?? 0 } }

        func check(
            _ name: String, groups: [String] = [], isDefault: Bool = true, refresh: RefreshPolicy = .alwaysFresh,
            damping: DampingPolicy = .none
        ) -> RegisteredCheck {
            let implementation = ClosureCheck(source: "fake.\(name)") { [self] _ in
                runs.withLockedValue { $0[name, default: 0] += 1 }
                return results.withLockedValue { $0[name] } ?? .pass("ok")
            }
            return RegisteredCheck(
                name: name, implementation: implementation, isDefault: isDefault, groups: groups, refresh: refresh,
                damping: damping)
        }
    }

    let pipeline: RoutePipeline
    let metrics: RequestMetrics
    let engine: CheckEngine

    /// The routes `makeRoutes` builds over `checks`, behind a pipeline with `secret`
    /// (and `tracer`, with the spans of `tracedChecks` encoded up front).
    /// `lifecycle` is the host's (a test begins its shutdown), `environment` the facts it
    /// reports (host name, service); `logger` receives what the dialects log.
    init(
        checks: [RegisteredCheck], secret: String? = "s3cret", clock: EngineClock = .system, tracer: HostTracer? = nil,
        tracedChecks: [RegisteredCheck] = [], lifecycle: HostLifecycle = HostLifecycle(),
        environment: EnvironmentReport = EnvironmentReport(), logger: Logger = TestHost.logger,
        makeRoutes: (DialectContext) -> [HealthRoute]
    ) throws {
        var registry = CheckRegistry()
        for check in checks { try registry.register(check) }
        engine = CheckEngine(registry: registry, threads: 2, logger: TestHost.logger, clock: clock)
        let auth = secret.map { SharedSecretAuth(secret: $0) } ?? .disabled
        let context = DialectContext(registry: registry, engine: engine, auth: auth, lifecycle: lifecycle, environment: environment, logger: logger)
        let routes = makeRoutes(context)
        metrics = RequestMetrics(routes: routes.map(\.path))
        pipeline = RoutePipeline(routes: routes, auth: auth, metrics: metrics, tracer: tracer, tracedChecks: tracedChecks)
    }

    /// The pipeline's answer to `GET target` with `headers`.
    func get(_ target: String, headers: [(String, String)] = [], method: HTTPMethod = .GET) async throws -> HTTPResponse {
        let request = try #require(HTTPRequest.parse(method: method, uri: target, headers: HTTPHeaders(headers)))
        switch pipeline.respond(to: request) {
        case .now(let response): return response
        case .later(let work): return await work()
        }
    }
}

extension HTTPResponse {
    /// The body as text.
    var text: String { String(buffer: body) }

    /// The first value of the header `name`.
    func header(_ name: String) -> String? { headers.first(name: name) }

    /// The body parsed as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
}
