import Foundation
import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthHostApp
import NIOHTTP1
import Testing

/// Flap damping (`fail_after`, `pass_after`, `fail_after_seconds`): runs, not requests,
/// move the reported status; the first result applies at once; every dialect reports
/// the damped status and `/health/status` says why it differs from the run's own.
@Suite(.timeLimit(.minutes(2))) struct FlapDampingTests {
    private let bearer = [("Authorization", "Bearer s3cret")]

    private func harness(
        _ fakes: RouterHarness.FakeChecks, damping: DampingPolicy, refresh: RefreshPolicy = .alwaysFresh,
        clock: ManualClock = ManualClock()
    ) throws -> RouterHarness {
        try RouterHarness(
            checks: [fakes.check("db", groups: ["readiness"], refresh: refresh, damping: damping)], clock: clock.engineClock
        ) { context in
            KubernetesDialect.routes(KubernetesDialectConfiguration(), context: context)
                + NativeDialect.routes(NativeDialectConfiguration(), context: context)
        }
    }

    private func status(_ harness: RouterHarness) async throws -> [String: Any] {
        let page = try await harness.get("/health/status", headers: bearer)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(page.text.utf8)) as? [String: Any])
        return try #require((json["checks"] as? [[String: Any]])?.first)
    }

    @Test func aPassingCheckReportsFailOnlyAfterFailAfterFailingRunsAndPassAgainAfterPassAfter() async throws {
        let fakes = RouterHarness.FakeChecks()
        let harness = try harness(fakes, damping: DampingPolicy(failAfter: 3, passAfter: 2))
        #expect(try await harness.get("/readyz").status == .ok)  // the first result, a pass, at once
        fakes.set("db", .fail("connection refused"))
        for run in 1...2 {
            #expect(try await harness.get("/readyz").status == .ok, "failing run \(run) of 3 is held back")
            let entry = try await status(harness)
            #expect((entry["last"] as? [String: Any])?["status"] as? String == "pass")
            #expect((entry["raw"] as? [String: Any])?["status"] as? String == "fail")
            #expect((entry["raw"] as? [String: Any])?["message"] as? String == "connection refused")
            #expect(entry["damping"] as? String == "\(run) of 3 failures before it reports fail")
            #expect(entry["damping_policy"] as? String == "fail after 3 runs, pass after 2 runs")
        }
        let failed = try await harness.get("/readyz", headers: bearer)
        #expect(failed.status == .internalServerError)
        #expect(failed.text.contains("[-]db failed: connection refused"))
        #expect(try await status(harness)["damping"] is NSNull)

        fakes.set("db", .pass("back"))
        #expect(try await harness.get("/readyz").status == .internalServerError)
        #expect(try await status(harness)["damping"] as? String == "1 of 2 passes before it reports pass")
        #expect(try await harness.get("/health/?checks=db", headers: bearer).status == .ok)  // every dialect, damped alike
        #expect(fakes.runCount("db") == 6)
    }

    @Test func cachedAnswersAreNotRunsAndAFirstFailureAppliesAtOnce() async throws {
        let fakes = RouterHarness.FakeChecks()
        fakes.set("db", .fail("down from the start"))
        let clock = ManualClock()
        let harness = try harness(
            fakes, damping: DampingPolicy(failAfter: 2), refresh: RefreshPolicy(successTTL: .seconds(60), failureTTL: .seconds(60)),
            clock: clock)
        #expect(try await harness.get("/readyz").status == .internalServerError)  // no damping of a first result
        fakes.set("db", .pass("up"))
        clock.advance(by: .seconds(61))
        #expect(try await harness.get("/readyz").status == .ok)  // pass_after 1
        fakes.set("db", .fail("flaky"))
        clock.advance(by: .seconds(61))
        #expect(try await harness.get("/readyz").status == .ok)  // 1 of 2
        // Read again and again from the cache: not runs, so still held.
        for _ in 0..<5 { #expect(try await harness.get("/readyz").status == .ok) }
        #expect(fakes.runCount("db") == 3)
        clock.advance(by: .seconds(61))
        #expect(try await harness.get("/readyz").status == .internalServerError)  // 2 of 2
    }

    @Test func failAfterSecondsNeedsTheCheckToBeInErrorThatLong() async throws {
        let fakes = RouterHarness.FakeChecks()
        let clock = ManualClock()
        let harness = try harness(fakes, damping: DampingPolicy(failAfterTime: .seconds(30)), clock: clock)
        #expect(try await harness.get("/readyz").status == .ok)
        fakes.set("db", .fail("timeout talking to db"))
        #expect(try await harness.get("/readyz").status == .ok)
        #expect(try await status(harness)["damping"] as? String == "in error for 0 ms of 30 s before it reports fail (1 failing run)")
        clock.advance(by: .seconds(20))
        #expect(try await harness.get("/readyz").status == .ok)
        #expect(try await status(harness)["damping"] as? String == "in error for 20 s of 30 s before it reports fail (2 failing runs)")
        clock.advance(by: .seconds(10))
        #expect(try await harness.get("/readyz").status == .internalServerError)
    }

    @Test func dampingIsConfiguredPerCheckWithEngineDefaultsAndRangeChecked() async throws {
        let base = try await DialectFixture.yaml(extra: "engine: { fail_after: 3, pass_after: 2, fail_after_seconds: 10 }\n")
        let app = try TestHost.build(
            yaml: base.replacingOccurrences(
                of: "check: warn, groups", with: "check: warn, fail_after: 1, pass_after: 5, groups"))
        defer { app.shutdown() }
        #expect(app.registry.check(named: "ok")?.damping == DampingPolicy(failAfter: 3, passAfter: 2, failAfterTime: .seconds(10)))
        #expect(app.registry.check(named: "warn")?.damping == DampingPolicy(failAfter: 1, passAfter: 5, failAfterTime: .seconds(10)))
        let bad = try await DialectFixture.yaml(extra: "engine: { fail_after: 0 }\n")
        let error = #expect(throws: (any Error).self) { try TestHost.build(yaml: bad) }
        #expect("\(String(describing: error))".contains("engine.fail_after: expected runs in a row from 1 (no damping) to 1000, found 0"))
    }
}
