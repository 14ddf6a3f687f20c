import HealthCore
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded

/// A ``CheckEngine`` over in-process checks whose time the test moves: TTLs, staleness and
/// durations read a ``ManualClock``, timeouts and background schedules fire on a
/// `NIOAsyncTestingEventLoop`, and ``advance(by:)`` moves both together. Nothing waits
/// for the wall clock; a call returns when its ``ControlledCheck`` is opened.
final class EngineRig: Sendable {
    let clock = ManualClock()
    let timers = NIOAsyncTestingEventLoop()
    let engine: CheckEngine

    /// An engine for `checks` with `threads` worker threads.
    init(_ checks: [RegisteredCheck], threads: Int = 4) throws {
        var registry = CheckRegistry()
        for check in checks { try registry.register(check) }
        engine = CheckEngine(
            registry: registry, threads: threads, logger: TestHost.logger, timerLoop: timers, clock: clock.engineClock)
    }

    /// Moves time on by `duration`: the clock first, then the timers due by then fire.
    func advance(by duration: Duration) async {
        clock.advance(by: duration)
        await timers.advanceTime(by: .nanoseconds(duration.nanoseconds))
    }

    /// The engine's statistics of `name` (empty when it has none).
    func statistics(_ name: String) -> CheckStatistics { engine.statistics(of: name) ?? CheckStatistics() }

    /// The report of `check` if the engine gives it within `timeout` (the test's bound on
    /// waiting, not a wait for anything to happen); `nil` if it does not. The request is
    /// left to end by itself.
    func report(_ check: RegisteredCheck, within timeout: Duration = .seconds(5)) async -> CheckReport? {
        let answer = NIOLockedValueBox<CheckReport?>(nil)
        let engine = self.engine
        Task {
            let report = await engine.report(for: check)
            answer.withLockedValue { $0 = report }
        }
        return await poll(timeout: timeout, every: .milliseconds(5)) { answer.withLockedValue { $0 } }
    }

    /// Runs `body` against an engine for `checks`, then opens every check in `opening`
    /// and shuts the engine down, whether `body` threw or not.
    static func with(
        _ checks: [RegisteredCheck], threads: Int = 4, opening controlled: [ControlledCheck] = [],
        _ body: (EngineRig) async throws -> Void
    ) async throws {
        let rig = try EngineRig(checks, threads: threads)
        do {
            try await body(rig)
        } catch {
            for check in controlled { check.open() }
            await rig.shutdown()
            throw error
        }
        for check in controlled { check.open() }
        await rig.shutdown()
    }

    /// Stops the engine; held calls are left to return when opened. The timer loop is
    /// kept, not shut down: a timer an engine thread schedules while the loop shuts down
    /// can outlive it, and a `NIOAsyncTestingEventLoop` freed with such a timer stops the
    /// test run ("leaking promise"), one run in three here. A few idle loops per run cost
    /// nothing.
    func shutdown() async {
        engine.shutdown()
        Self.retiredTimers.withLockedValue { $0.append(timers) }
    }

    private static let retiredTimers = NIOLockedValueBox<[NIOAsyncTestingEventLoop]>([])
}
