import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthMetrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The request pipeline's own decisions (auth, selection, engine, metrics), through the
/// real routes of the dialects with fake checks: no sockets, no plugins.
@Suite(.timeLimit(.minutes(2))) struct RoutePipelineTests {
    private let bearer = [("Authorization", "Bearer s3cret")]

    @Test func authComesBeforeSelectionAndSelectionBeforeAnyRun() async throws {
        let fakes = RouterHarness.FakeChecks()
        let harness = try RouterHarness(checks: [fakes.check("db")]) { context in
            NativeDialect.routes(NativeDialectConfiguration(), context: context)
        }
        // No secret: 401, whatever the query says, and nothing runs.
        #expect(try await harness.get("/health/?checks=nope").status == .unauthorized)
        // An unknown name: 400 naming it; still nothing runs.
        let rejected = try await harness.get("/health/?checks=nope", headers: bearer)
        #expect(rejected.status == .badRequest)
        #expect(rejected.text.contains(#""unknown_checks":["nope"]"#))
        #expect(fakes.runCount("db") == 0)
        // A good request runs the check once.
        let answered = try await harness.get("/health/?checks=db", headers: bearer)
        #expect(answered.status == .ok)
        #expect(answered.text == #"{"available_checks":["db"],"checks":{"db":true},"health":"running"}"#)
        #expect(fakes.runCount("db") == 1)
    }

    @Test func theSecretIsFoundInEveryFormAndOnlyThere() async throws {
        let fakes = RouterHarness.FakeChecks()
        let harness = try RouterHarness(checks: [fakes.check("db")]) { context in
            NativeDialect.routes(NativeDialectConfiguration(), context: context)
        }
        let accepted: [[(String, String)]] = [
            [("Authorization", "Bearer s3cret")], [("authorization", "BEARER s3cret")],
            [("Authorization", "bEaReR    s3cret  ")],
            // Any one of several candidates (every one is compared, so timing tells nothing).
            [("Authorization", "Basic czNjcmV0"), ("Authorization", "Bearer s3cret")],
        ]
        for headers in accepted {
            #expect(try await harness.get("/health/", headers: headers).status == .ok, "\(headers)")
        }
        #expect(try await harness.get("/health/?auth=wrong&auth=s3cret").status == .ok)
        let refused: [[(String, String)]] = [
            [("Authorization", "Basic s3cret")], [("Authorization", "Bearers3cret")], [("Authorization", "Bearer")],
            [("Authorization", "Bearer s3cre")], [("Authorization", "Bearer s3crets")], [("X-Authorization", "Bearer s3cret")],
            [("Authorization", "Token s3cret"), ("Authorization", "Bearer nope")],
        ]
        for headers in refused {
            #expect(try await harness.get("/health/", headers: headers).status == .unauthorized, "\(headers)")
        }
        #expect(try await harness.get("/health/?auth=S3CRET").status == .unauthorized)
        #expect(try await harness.get("/health/?Auth=s3cret").status == .unauthorized)
        #expect(try await harness.get("/health/?authx=s3cret").status == .unauthorized)
    }

    @Test func requestsCountedOnManyEventLoopsAddUp() async throws {
        let counters = RouteCounters()
        let loops = 6
        let perLoop = 2_000
        // Event loops of their own, as the server's are: their counts land in several shards.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        let work = (0..<loops).map { loop in
            group.next().submit {
                for index in 0..<perLoop {
                    counters.record(code: index % 4 == 0 ? 503 : 200, seconds: loop % 2 == 0 ? 0.0001 : 20)
                }
            }
        }
        for future in work { try await future.get() }
        try await group.shutdownGracefully()
        let counts = counters.read()
        #expect(counts.count == loops * perLoop)
        #expect(counts.byCode == [200: loops * perLoop * 3 / 4, 503: loops * perLoop / 4])
        // Fast ones in the first bucket; slow ones (past the last bound) only in +Inf.
        #expect(counts.durations.buckets.first == loops / 2 * perLoop)
        #expect(counts.durations.buckets.reduce(0, +) == loops / 2 * perLoop)
        #expect(abs(counts.durations.sum - Double(loops / 2 * perLoop) * 20.0001) < 0.01)
    }

    @Test func publicAccessShowsStatusesAndKeepsReasonsForTheSecret() async throws {
        let fakes = RouterHarness.FakeChecks()
        fakes.set("db", .fail("password authentication failed for user app"))
        let harness = try RouterHarness(checks: [fakes.check("db", groups: ["readiness"])]) { context in
            KubernetesDialect.routes(KubernetesDialectConfiguration(), context: context)
        }
        let anonymous = try await harness.get("/readyz")
        #expect(anonymous.status == .internalServerError)
        #expect(anonymous.text == "[-]db failed: reason withheld\nreadyz check failed\n")
        let authorised = try await harness.get("/readyz", headers: bearer)
        #expect(authorised.text.contains("[-]db failed: password authentication failed for user app\n"))
        // The route of the single check goes through the same access rule.
        #expect(try await harness.get("/readyz/db").text == "internal server error: reason withheld\n")
    }

    @Test func everyRequestIsCountedByRouteAndCodeAndUnmatchedPathsShareOneLabel() async throws {
        let fakes = RouterHarness.FakeChecks()
        fakes.set("down", .fail("refused"))
        let harness = try RouterHarness(checks: [fakes.check("ok", groups: ["liveness"]), fakes.check("down")]) { context in
            KubernetesDialect.routes(KubernetesDialectConfiguration(), context: context)
                + NativeDialect.routes(NativeDialectConfiguration(), context: context)
        }
        _ = try await harness.get("/livez")
        _ = try await harness.get("/livez")
        _ = try await harness.get("/health/?checks=down", headers: bearer)
        _ = try await harness.get("/health/", headers: [])
        _ = try await harness.get("/wp-admin/setup.php")
        _ = try await harness.get("/.env")
        _ = try await harness.get("/livez", method: .POST)
        let counts = Dictionary(uniqueKeysWithValues: harness.metrics.snapshot().map { ($0.route, $0.counts) })
        #expect(counts["/livez"]?.byCode == [200: 2, 405: 1])
        #expect(counts["/health/"]?.byCode == [503: 1, 401: 1])
        #expect(counts[RequestMetrics.unmatchedRoute]?.byCode == [404: 2])
        #expect(counts["/livez"]?.count == 3)
        #expect(counts.keys.contains("/wp-admin/setup.php") == false)
    }

    @Test func actuatorHealthRunsEveryConfiguredCheckNotOnlyTheDefaults() async throws {
        let fakes = RouterHarness.FakeChecks()
        let checks = [fakes.check("web"), fakes.check("batch", isDefault: false)]
        let harness = try RouterHarness(checks: checks, secret: nil) { context in
            ActuatorDialect.routes(ActuatorDialectConfiguration(), context: context)
        }
        let health = try await harness.get("/z/health")
        #expect(health.text.contains(#""batch":{"details""#))
        #expect(fakes.runCount("batch") == 1)
    }
}
