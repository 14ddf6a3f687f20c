import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The engine's state of one registered check: its latest result, the call in progress
/// (at most one: single-flight) with the requests waiting for it, and its statistics.
///
/// Pure bookkeeping under a lock; ``CheckEngine`` does the launching and the waking.
final class CheckSlot: Sendable {
    /// What to do with a request.
    enum Decision {
        /// Answer at once with this report (fresh from cache, stale, or stuck).
        case answer(CheckReport)
        /// The request waits for the call already in progress.
        case joined
        /// The request started call `id`: the engine must launch it.
        case started(id: Int)
    }

    private struct Stored {
        var report: CheckReport
        var at: ContinuousClock.Instant
    }

    private struct Call {
        let id: Int
        let requestedAt: ContinuousClock.Instant
        let requestedDate: WallTime
        var waiters: [ReportDelivery] = []
        var isTimedOut = false
        var isExecuting = false
        var timer: Scheduled<Void>?
    }

    private struct State {
        var latest: Stored?
        var call: Call?
        var nextCallID = 0
        var statistics = CheckStatistics()
        var damping = DampingState()
    }

    let check: RegisteredCheck
    private let clock: EngineClock
    private let state = NIOLockedValueBox(State())
    /// Requests answered without a call; outside the lock, as the hot path counts it.
    private let cacheHits = Atomic<Int>(0)
    /// Bumped, under the lock, by every change of what a request is answered without
    /// waiting other than by time passing: a new result, a timeout, the end of a call
    /// that was past its timeout. Read without the lock (``generation``), so a reused
    /// response costs no lock per check (see ``ReportsStamp``).
    private let changes = Atomic<UInt64>(0)

    /// What a request is answered without waiting, and for how much longer that same
    /// report stays the answer while nothing changes: `nil` when the answer itself
    /// depends on the time (stale, stuck), or the state is too rare to be worth it.
    struct ImmediateAnswer {
        let report: CheckReport
        let unchangedFor: Duration?
    }

    init(check: RegisteredCheck, clock: EngineClock = .system) {
        self.check = check
        self.clock = clock
    }

    /// The answer a request gets without waiting, if there is one, counted as a cache hit.
    func answerWithoutWaiting(now: ContinuousClock.Instant) -> CheckReport? {
        immediateAnswerWithoutWaiting(now: now)?.report
    }

    /// ``answerWithoutWaiting(now:)`` with how long it stays the answer.
    func immediateAnswerWithoutWaiting(now: ContinuousClock.Instant) -> ImmediateAnswer? {
        let answer = state.withLockedValue { immediateAnswer($0, now: now) }
        if answer != nil { countCacheHit(1) }
        return answer
    }

    /// The count of changes so far (see ``changes``): equal readings mean the same
    /// answers, as long as time has not made them differ.
    var generation: UInt64 { changes.load(ordering: .acquiring) }

    /// Called under the lock by every change of the stored result or the call's
    /// timed-out state.
    private func noteChange() {
        changes.wrappingAdd(1, ordering: .releasing)
    }

    /// Counts requests answered from the stored result (-1 takes back a hit whose answer
    /// was not used, when another check of the same request needed a call).
    func countCacheHit(_ change: Int) {
        _ = cacheHits.wrappingAdd(change, ordering: .relaxed)
    }

    /// Decides a request: an immediate answer, joining the call in progress, or a new
    /// call. `waiter` is called later unless the decision is `.answer`.
    func request(now: ContinuousClock.Instant, waiter: @escaping ReportDelivery) -> Decision {
        let decision = state.withLockedValue { state -> Decision in
            if let answer = immediateAnswer(state, now: now) { return .answer(answer.report) }
            state.statistics.cacheMisses += 1
            if state.call != nil {
                state.call?.waiters.append(waiter)
                return .joined
            }
            let id = begin(&state, now: now)
            state.call?.waiters.append(waiter)
            return .started(id: id)
        }
        if case .answer = decision { countCacheHit(1) }
        return decision
    }

    /// Starts a background run unless a call is in progress; returns its id.
    func trigger(now: ContinuousClock.Instant) -> Int? {
        state.withLockedValue { state in
            state.call == nil ? begin(&state, now: now) : nil
        }
    }

    /// Remembers the timeout timer of call `id`, cancelled when it returns in time.
    func attach(timer: Scheduled<Void>, to id: Int) {
        let stillRunning = state.withLockedValue { state in
            guard state.call?.id == id, state.call?.isTimedOut == false else { return false }
            state.call?.timer = timer
            return true
        }
        if !stillRunning { timer.cancel() }
    }

    /// Called on the worker thread before calling the check: `false` when the call
    /// already timed out while it waited for a thread or its serialization turn, in
    /// which case the check is not called at all.
    func beginExecution(of id: Int) -> Bool {
        state.withLockedValue { state in
            guard let call = state.call, call.id == id else { return false }
            if call.isTimedOut {
                state.call = nil
                state.statistics.runningSince = nil
                state.statistics.isStuck = false
                noteChange()
                return false
            }
            state.call?.isExecuting = true
            return true
        }
    }

    /// Records the result of call `id`; returns the waiters to wake with the report, or
    /// `nil` when the call had already timed out (a late return, which only clears the
    /// stuck state: its result is not served, as it came too late).
    func finish(
        _ id: Int, result: CheckResult, duration: Duration, now: ContinuousClock.Instant
    ) -> (report: CheckReport, waiters: [ReportDelivery], late: Bool, change: StatusChange?)? {
        let finished = state.withLockedValue {
            state -> (CheckReport, [ReportDelivery], Bool, Scheduled<Void>?, StatusChange?)? in
            guard let call = state.call, call.id == id else { return nil }
            state.call = nil
            noteChange()
            state.statistics.runningSince = nil
            state.statistics.isStuck = false
            state.statistics.completedCalls += 1
            state.statistics.lastDuration = duration
            var report = CheckReport(name: check.name, result: result, finishedAt: clock.currentDate, duration: duration)
            if call.isTimedOut { return (report, [], true, nil, nil) }
            Self.damp(&report, state: &state, now: now, policy: check.damping)
            if check.staleAfter == nil, case let ttl = check.refresh.ttl(for: result.status), ttl > .zero {
                report.expiresAt = report.finishedAt.addingTimeInterval(ttl.seconds)
            }
            state.latest = Stored(report: report, at: now)
            let change = state.statistics.record(report)
            state.statistics.durations.record(seconds: duration.seconds)
            return (report, call.waiters, false, call.timer, change)
        }
        guard let (report, waiters, late, timer, change) = finished else { return nil }
        timer?.cancel()
        return (report, waiters, late, change)
    }

    /// Times out call `id`: stores and returns the timeout report with the waiters to
    /// wake, and whether the check itself is running (rather than still queued).
    func timeOut(_ id: Int, now: ContinuousClock.Instant) -> (
        report: CheckReport, waiters: [ReportDelivery], wasExecuting: Bool, change: StatusChange?
    )? {
        state.withLockedValue { state in
            guard var call = state.call, call.id == id, !call.isTimedOut else { return nil }
            var report = CheckReport(
                name: check.name, result: .fail("timed out: no result within \(check.timeout.humanReadable)"),
                finishedAt: clock.currentDate, duration: check.timeout)
            report.isTimedOut = true
            Self.damp(&report, state: &state, now: now, policy: check.damping)
            let waiters = call.waiters
            call.waiters = []
            call.isTimedOut = true
            call.timer = nil
            state.call = call
            state.latest = Stored(report: report, at: now)
            noteChange()
            let change = state.statistics.record(report)
            state.statistics.timeouts += 1
            state.statistics.isStuck = call.isExecuting
            return (report, waiters, call.isExecuting, change)
        }
    }

    /// Applies flap damping to a run's report: the reported result may be the previous one.
    private static func damp(_ report: inout CheckReport, state: inout State, now: ContinuousClock.Instant, policy: DampingPolicy) {
        guard policy.isDamping else { return }
        let damped = state.damping.apply(report.result, now: now, policy: policy)
        guard let held = damped.held else { return }
        report.rawResult = report.result
        report.damping = held
        report.result = damped.result
    }

    /// A copy of the statistics, with ``CheckStatistics/isStale`` as of `now`.
    func statistics(now: ContinuousClock.Instant) -> CheckStatistics {
        let hits = cacheHits.load(ordering: .relaxed)
        return state.withLockedValue { state in
            var copy = state.statistics
            copy.cacheHits = hits
            if let staleAfter = check.staleAfter, let latest = state.latest { copy.isStale = now - latest.at > staleAfter }
            return copy
        }
    }

    private func begin(_ state: inout State, now: ContinuousClock.Instant) -> Int {
        state.nextCallID += 1
        let date = clock.currentDate
        state.call = Call(id: state.nextCallID, requestedAt: now, requestedDate: date)
        state.statistics.runningSince = date
        return state.nextCallID
    }

    private func immediateAnswer(_ state: State, now: ContinuousClock.Instant) -> ImmediateAnswer? {
        if let call = state.call, call.isTimedOut {
            // A timeout that damping holds back keeps being reported as damped.
            if let latest = state.latest, latest.report.damping != nil {
                return ImmediateAnswer(report: cached(latest.report, for: .zero), unchangedFor: nil)
            }
            return ImmediateAnswer(report: stuck(call, now: now, latest: state.latest?.report), unchangedFor: nil)
        }
        guard let latest = state.latest else { return nil }
        let age = now - latest.at
        if let staleAfter = check.staleAfter {
            guard age <= staleAfter else {
                return ImmediateAnswer(report: stale(latest.report, age: age, limit: staleAfter), unchangedFor: nil)
            }
            // Until (not at) the limit: the bound is kept on the safe side.
            return ImmediateAnswer(report: cached(latest.report, for: staleAfter), unchangedFor: staleAfter - age)
        }
        let ttl = check.refresh.ttl(for: latest.report.result.status)
        return age < ttl ? ImmediateAnswer(report: cached(latest.report, for: ttl), unchangedFor: ttl - age) : nil
    }

    private func cached(_ report: CheckReport, for lifetime: Duration) -> CheckReport {
        var copy = report
        copy.isCached = true
        copy.expiresAt = report.finishedAt.addingTimeInterval(lifetime.seconds)
        return copy
    }

    private func stale(_ report: CheckReport, age: Duration, limit: Duration) -> CheckReport {
        let was = "\(report.result.status): \(report.result.message)"
        return CheckReport(
            name: check.name,
            result: .fail("stale: the latest result is \(age.humanReadable) old, past the limit of \(limit.humanReadable) (it was \(was))"),
            finishedAt: report.finishedAt, duration: report.duration, isCached: true)
    }

    private func stuck(_ call: Call, now: ContinuousClock.Instant, latest: CheckReport?) -> CheckReport {
        let age = (now - call.requestedAt).humanReadable
        let limit = check.timeout.humanReadable
        let message =
            call.isExecuting
            ? "timed out: the call started \(age) ago has not returned (limit \(limit)); no new call starts until it does"
            : "timed out: the call requested \(age) ago is still waiting for a worker thread or for the previous "
                + "call of this check to return (limit \(limit))"
        var report = CheckReport(
            name: check.name, result: .fail(message), finishedAt: latest?.finishedAt ?? clock.currentDate, duration: check.timeout,
            isCached: true)
        report.isTimedOut = true
        return report
    }
}
