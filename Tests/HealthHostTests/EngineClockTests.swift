import Foundation
import HealthCore
import NIOConcurrencyHelpers
import Testing

/// The engine's notions of time (staleness, stuck calls, TTLs) under a ``ManualClock``:
/// the test moves time instead of waiting for it.
@Suite(.timeLimit(.minutes(2))) struct EngineClockTests {
    private func engine(_ checks: [RegisteredCheck], clock: ManualClock) throws -> CheckEngine {
        var registry = CheckRegistry()
        for check in checks { try registry.register(check) }
        return CheckEngine(registry: registry, threads: 2, logger: TestHost.logger, clock: clock.engineClock)
    }

    @Test func aBackgroundResultTurnsStaleWhenTheClockPassesItsBound() async throws {
        let clock = ManualClock()
        let runs = NIOLockedValueBox(0)
        let check = RegisteredCheck(
            name: "db",
            implementation: ClosureCheck(source: "test.db") { _ in
                runs.withLockedValue { $0 += 1 }
                return .pass("ok")
            },
            refresh: RefreshPolicy(interval: .seconds(3600), staleAfter: .seconds(30)))
        let engine = try engine([check], clock: clock)
        defer { engine.shutdown() }
        #expect(await engine.report(for: check).result == .pass("ok"))
        clock.advance(by: .seconds(30))
        #expect(engine.reportsWithoutWaiting(for: [check])?.first?.result == .pass("ok"))
        clock.advance(by: .seconds(1))
        let stale = try #require(engine.reportsWithoutWaiting(for: [check])?.first)
        #expect(stale.result.status == .fail)
        #expect(stale.result.message == "stale: the latest result is 31 s old, past the limit of 30 s (it was pass: ok)")
        #expect(engine.statistics(of: "db")?.isStale == true)
        #expect(runs.withLockedValue { $0 } == 1)
    }

    @Test func aStuckCallSaysHowLongItHasBeenRunning() async throws {
        let clock = ManualClock()
        let release = ConditionLock(value: 0)
        let check = RegisteredCheck(
            name: "hang",
            implementation: ClosureCheck(source: "test.hang") { _ in
                release.lock(whenValue: 1)
                release.unlock()
                return .pass("returned")
            }, timeout: .milliseconds(50))
        let engine = try engine([check], clock: clock)
        defer {
            release.lock()
            release.unlock(withValue: 1)
            engine.shutdown()
        }
        let timedOut = await engine.report(for: check)
        #expect(timedOut.result.message == "timed out: no result within 50 ms")
        #expect(timedOut.isTimedOut)
        clock.advance(by: .seconds(90))
        let stuck = await engine.report(for: check)
        #expect(stuck.isTimedOut && stuck.isCached)
        #expect(
            stuck.result.message
                == "timed out: the call started 90 s ago has not returned (limit 50 ms); no new call starts until it does")
        #expect(engine.statistics(of: "hang")?.isStuck == true)
    }
}
