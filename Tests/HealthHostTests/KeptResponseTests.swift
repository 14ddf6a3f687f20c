import HealthConfig
@testable import HealthCore
import HealthDialects
import HealthHTTP
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

/// Cached answers served as bytes (#40 item 7): a route that allows it sends the bytes it
/// rendered again while the reports they came from stand, renders once per change, keeps
/// selections and visibilities apart, and never sends what a render now would not.
/// Through the real pipeline with fake checks and a manual clock: no socket, no sleep.
@Suite(.timeLimit(.minutes(2))) struct KeptResponseTests {
    private let bearer = [("Authorization", "Bearer s3cret")]
    private let fiveMinutes = RefreshPolicy(successTTL: .seconds(300), failureTTL: .seconds(300))
    /// Background refresh (its schedule never started here: the test runs it).
    private let background = RefreshPolicy(interval: .seconds(3600), staleAfter: .seconds(60))

    /// A route over the `checks` query that counts its renders and shows what it saw.
    private func countingRoute(
        _ context: DialectContext, renders: NIOLockedValueBox<Int>, reuse: HealthRoute.Reuse = .whileReportsStand()
    ) -> HealthRoute {
        HealthRoute(
            "/h", access: .checks(.public), checks: .query(registry: context.registry, engine: context.engine), reuse: reuse
        ) { input in
            renders.withLockedValue { $0 += 1 }
            let lines = input.reports.map { report in
                let message = input.visibility == .full ? report.result.message : "withheld"
                return "\(report.name) \(report.result.status) \(message)"
            }
            let passing = input.reports.allSatisfy(\.result.status.isPassing)
            return .text(lines.joined(separator: "\n"), status: passing ? .ok : .serviceUnavailable)
        }
    }

    private func harness(
        _ checks: [RegisteredCheck], clock: ManualClock, renders: NIOLockedValueBox<Int>,
        reuse: HealthRoute.Reuse = .whileReportsStand()
    ) throws -> RouterHarness {
        try RouterHarness(checks: checks, clock: clock.engineClock) { context in
            [countingRoute(context, renders: renders, reuse: reuse)]
        }
    }

    /// What the engine does when a background run of `check` ends with `result`: a new
    /// result with no time passing, as a schedule's tick stores it.
    private func finishBackgroundRun(of check: RegisteredCheck, in harness: RouterHarness, clock: ManualClock, result: CheckResult)
        throws
    {
        let stamped = try #require(harness.engine.stampedReportsWithoutWaiting(for: [check]))
        let slot = try #require(stamped.stamp?.slots.first)
        let id = try #require(slot.trigger(now: clock.engineClock.now))
        #expect(slot.beginExecution(of: id))
        #expect(slot.finish(id, result: result, duration: .milliseconds(3), now: clock.engineClock.now) != nil)
    }

    @Test func aCachedAnswerIsRenderedOnceAndSentAgainWhileItsReportsStand() async throws {
        let clock = ManualClock()
        let renders = NIOLockedValueBox(0)
        let fakes = RouterHarness.FakeChecks()
        let harness = try harness([fakes.check("db", refresh: fiveMinutes)], clock: clock, renders: renders)
        // The first request runs the check (and waits for it): rendered, not kept.
        let first = try await harness.get("/h", headers: bearer)
        #expect(first.text == "db pass ok")
        #expect(renders.withLockedValue { $0 } == 1)
        // From the cache: rendered once more, then the same bytes every time.
        var answers: [HTTPResponse] = []
        for _ in 0..<4 {
            clock.advance(by: .seconds(10))
            answers.append(try await harness.get("/h", headers: bearer))
        }
        #expect(renders.withLockedValue { $0 } == 2)
        #expect(answers.allSatisfy { $0.text == "db pass ok" && $0.status == .ok })
        #expect(answers.allSatisfy { $0.body == answers[0].body && $0.headers == answers[0].headers })
        #expect(fakes.runCount("db") == 1)
        // Each answer from the kept bytes is still a cache hit of the check.
        #expect(harness.engine.statistics(of: "db")?.cacheHits == 4)
        // A HEAD is answered from them too.
        #expect(try await harness.get("/h", headers: bearer, method: .HEAD).status == .ok)
        #expect(renders.withLockedValue { $0 } == 2)
    }

    @Test func aNewResultIsRenderedOnceAndThenSentAgain() async throws {
        let clock = ManualClock()
        let renders = NIOLockedValueBox(0)
        let fakes = RouterHarness.FakeChecks()
        let check = fakes.check("db", refresh: background)
        let harness = try harness([check], clock: clock, renders: renders)
        _ = try await harness.get("/h", headers: bearer)
        _ = try await harness.get("/h", headers: bearer)
        #expect(try await harness.get("/h", headers: bearer).text == "db pass ok")
        #expect(renders.withLockedValue { $0 } == 2)
        // A background run stores a new result; no time passes and no TTL runs out.
        try finishBackgroundRun(of: check, in: harness, clock: clock, result: .fail("disk full"))
        let changed = try await harness.get("/h", headers: bearer)
        #expect(changed.text == "db fail disk full")
        #expect(changed.status == .serviceUnavailable)
        #expect(renders.withLockedValue { $0 } == 3)
        #expect(try await harness.get("/h", headers: bearer).text == "db fail disk full")
        #expect(renders.withLockedValue { $0 } == 3)
        // The same result again is still a new result (a new report): rendered anew.
        try finishBackgroundRun(of: check, in: harness, clock: clock, result: .fail("disk full"))
        #expect(try await harness.get("/h", headers: bearer).text == "db fail disk full")
        #expect(renders.withLockedValue { $0 } == 4)
    }

    @Test func aTTLRunningOutIsNeverAnsweredFromTheKeptBytes() async throws {
        let clock = ManualClock()
        let renders = NIOLockedValueBox(0)
        let fakes = RouterHarness.FakeChecks()
        let harness = try harness([fakes.check("db", refresh: fiveMinutes)], clock: clock, renders: renders)
        _ = try await harness.get("/h", headers: bearer)
        #expect(try await harness.get("/h", headers: bearer).text == "db pass ok")
        fakes.set("db", .fail("down"))
        // Still within the TTL the engine answers the cached pass: so do the kept bytes.
        clock.advance(by: .seconds(299))
        #expect(try await harness.get("/h", headers: bearer).text == "db pass ok")
        #expect(renders.withLockedValue { $0 } == 2)
        // At the TTL the check runs again: its new result, not the kept pass.
        clock.advance(by: .seconds(1))
        #expect(try await harness.get("/h", headers: bearer).text == "db fail down")
        #expect(fakes.runCount("db") == 2)
    }

    @Test func selectionsAndVisibilitiesAreKeptApart() async throws {
        let clock = ManualClock()
        let renders = NIOLockedValueBox(0)
        let fakes = RouterHarness.FakeChecks()
        let checks = [fakes.check("db", refresh: fiveMinutes), fakes.check("cache", refresh: fiveMinutes)]
        let harness = try harness(checks, clock: clock, renders: renders)
        let requests: [(target: String, headers: [(String, String)], expected: String)] = [
            ("/h", bearer, "db pass ok\ncache pass ok"),
            ("/h", [], "db pass withheld\ncache pass withheld"),
            ("/h?checks=db", bearer, "db pass ok"),
            ("/h?checks=cache", bearer, "cache pass ok"),
            ("/h?checks=cache", [], "cache pass withheld"),
            ("/h?checks=", bearer, ""),
        ]
        // The checks run for the first request (rendered, not kept); then, twice round,
        // every request as expected and each rendered once, from the cache.
        _ = try await harness.get("/h", headers: bearer)
        for _ in 0..<2 {
            for request in requests {
                #expect(try await harness.get(request.target, headers: request.headers).text == request.expected)
            }
        }
        #expect(renders.withLockedValue { $0 } == 1 + requests.count)
        #expect(fakes.runCount("db") == 1 && fakes.runCount("cache") == 1)
    }

    @Test func aWithheldFailureIsRenderedForEveryRequestThatWithholdsIt() async throws {
        let clock = ManualClock()
        let renders = NIOLockedValueBox(0)
        let fakes = RouterHarness.FakeChecks()
        fakes.set("db", .fail("password rejected"))
        let harness = try harness([fakes.check("db", refresh: fiveMinutes)], clock: clock, renders: renders)
        _ = try await harness.get("/h", headers: bearer)
        // Without the secret the reason is withheld, and logged by the render: every time.
        for _ in 0..<3 { #expect(try await harness.get("/h").text == "db fail withheld") }
        #expect(renders.withLockedValue { $0 } == 4)
        // With the secret nothing is withheld: kept.
        for _ in 0..<3 { #expect(try await harness.get("/h", headers: bearer).text == "db fail password rejected") }
        #expect(renders.withLockedValue { $0 } == 5)
    }

    @Test func answersThatChangeWithTheTimeAreNeverKept() async throws {
        let clock = ManualClock()
        let renders = NIOLockedValueBox(0)
        let fakes = RouterHarness.FakeChecks()
        let harness = try harness([fakes.check("db", refresh: background)], clock: clock, renders: renders)
        _ = try await harness.get("/h", headers: bearer)
        #expect(try await harness.get("/h", headers: bearer).text == "db pass ok")
        // Up to the staleness bound the kept bytes stand; past it the answer says its age.
        clock.advance(by: .seconds(59))
        #expect(try await harness.get("/h", headers: bearer).text == "db pass ok")
        #expect(renders.withLockedValue { $0 } == 2)
        clock.advance(by: .seconds(2))
        #expect(
            try await harness.get("/h", headers: bearer).text
                == "db fail stale: the latest result is 61 s old, past the limit of 60 s (it was pass: ok)")
        clock.advance(by: .seconds(1))
        #expect(
            try await harness.get("/h", headers: bearer).text
                == "db fail stale: the latest result is 62 s old, past the limit of 60 s (it was pass: ok)")
        #expect(renders.withLockedValue { $0 } == 4)
    }

    @Test func aRouteThatDoesNotAllowItIsRenderedEveryTime() async throws {
        let clock = ManualClock()
        let renders = NIOLockedValueBox(0)
        let fakes = RouterHarness.FakeChecks()
        let harness = try harness([fakes.check("db", refresh: fiveMinutes)], clock: clock, renders: renders, reuse: .never)
        for _ in 0..<3 { #expect(try await harness.get("/h", headers: bearer).text == "db pass ok") }
        #expect(renders.withLockedValue { $0 } == 3)
        // A variant of nil renders afresh as well.
        let afresh = try self.harness(
            [fakes.check("db", refresh: fiveMinutes)], clock: clock, renders: renders, reuse: .whileReportsStand { _ in nil })
        for _ in 0..<3 { #expect(try await afresh.get("/h", headers: bearer).text == "db pass ok") }
        #expect(renders.withLockedValue { $0 } == 6)
    }

    // MARK: - The dialects' routes

    @Test func theNativeFormatsAreKeptApart() async throws {
        let clock = ManualClock()
        let fakes = RouterHarness.FakeChecks()
        let harness = try RouterHarness(checks: [fakes.check("db", refresh: fiveMinutes)], clock: clock.engineClock) { context in
            NativeDialect.routes(NativeDialectConfiguration(), context: context)
        }
        let healthJSON = bearer + [("Accept", "application/health+json")]
        _ = try await harness.get("/health/", headers: bearer)
        for _ in 0..<2 {
            let plain = try await harness.get("/health/", headers: bearer)
            #expect(plain.text == #"{"available_checks":["db"],"checks":{"db":true},"health":"running"}"#)
            let json = try await harness.get("/health/", headers: healthJSON)
            #expect(json.headers.first(name: "Content-Type") == "application/health+json")
            #expect(json.text.contains(#""cached":true"#))
        }
        #expect(fakes.runCount("db") == 1)
    }

    @Test func readinessIsRenderedAfreshOnceShutdownBegins() async throws {
        let clock = ManualClock()
        let fakes = RouterHarness.FakeChecks()
        let lifecycle = NIOLockedValueBox<HostLifecycle?>(nil)
        let harness = try RouterHarness(
            checks: [fakes.check("db", groups: ["readiness"], refresh: fiveMinutes)], clock: clock.engineClock
        ) { context in
            lifecycle.withLockedValue { $0 = context.lifecycle }
            return KubernetesDialect.routes(KubernetesDialectConfiguration(), context: context)
                + HeartbeatDialect.routes(HeartbeatDialectConfiguration(), context: context)
                + ActuatorDialect.routes(ActuatorDialectConfiguration(), context: context)
        }
        for _ in 0..<3 {
            #expect(try await harness.get("/readyz").text == "ok")
            #expect(try await harness.get("/.well-known/heartbeat/readiness").status == .ok)
            #expect(try await harness.get("/z/health/readiness").status == .ok)
        }
        try #require(lifecycle.withLockedValue { $0 }).beginShutdown()
        #expect(try await harness.get("/readyz").text == "[+]db ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n")
        #expect(try await harness.get("/.well-known/heartbeat/readiness").status == .internalServerError)
        #expect(try await harness.get("/z/health/readiness").text == #"{"status":"OUT_OF_SERVICE"}"#)
        // Liveness does not read the lifecycle: still answered.
        #expect(try await harness.get("/livez").text == "ok")
    }
}
