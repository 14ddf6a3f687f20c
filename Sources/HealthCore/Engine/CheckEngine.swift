public import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

/// Runs checks for every request and every schedule, so that probes never stall:
///
/// - **Threads of its own**: each call runs on a thread of the engine's pool, never on
///   an event loop or the Swift concurrency pool; the checks of one request run at once.
/// - **Timeouts**: a call past its check's timeout is answered `fail` ("timed out").
///   The thread is not killed (no thread can be killed safely); the call is left to
///   return.
/// - **Single-flight**: requests that need a check while a call of it is in progress
///   wait for that call instead of starting another.
/// - **Hung calls**: while a timed-out call has not returned, no other call of that
///   check starts: requests get a "timed out ... has not returned" result at once, so a
///   hung plugin holds one thread, not one per request.
/// - **Not thread-safe**: checks that share a ``CheckImplementation/serializationKey``
///   are called one at a time; waiting calls hold no thread.
/// - **Caching** (``RefreshPolicy``): results are reused for their TTL; checks with an
///   interval run in the background and requests read their latest result.
///
/// ```swift
/// let engine = CheckEngine(registry: registry, logger: logger)
/// engine.startBackgroundRefresh()
/// let reports = await engine.reports(for: registry.defaults)
/// ```
public final class CheckEngine: Sendable {
    private let slots: [String: CheckSlot]
    private let gates: [String: SerialGate]
    private let pool: NIOThreadPool
    private let timers: any EventLoop
    private let logger: Logger
    private let schedule = NIOLockedValueBox(BackgroundSchedule())
    private let clock: EngineClock

    private struct BackgroundSchedule {
        var isStopped = false
        var ticks: [String: Scheduled<Void>] = [:]
    }

    /// Creates an engine for the checks of `registry` with `threads` worker threads.
    /// `clock` is where TTLs, staleness and durations read the time (tests advance a
    /// ``ManualClock``); timeouts and schedules run on `timerLoop`.
    public init(
        registry: CheckRegistry, threads: Int = 16, logger: Logger,
        timerLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(), clock: EngineClock = .system
    ) {
        self.clock = clock
        var slots: [String: CheckSlot] = [:]
        var gates: [String: SerialGate] = [:]
        for check in registry.checks {
            slots[check.name] = CheckSlot(check: check, clock: clock)
            if let key = check.implementation.serializationKey, gates[key] == nil { gates[key] = SerialGate() }
        }
        self.slots = slots
        self.gates = gates
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        self.timers = timerLoop
        self.logger = logger
        pool.start()
    }

    /// Starts the schedules of the checks that have an interval; each first runs after
    /// a short random delay, so that checks do not all start at once.
    public func startBackgroundRefresh() {
        for slot in slots.values {
            guard let interval = slot.check.refresh.interval else { continue }
            let firstDelay = Self.jitter(upTo: min(interval * RefreshPolicy.jitterFraction, .seconds(1)))
            scheduleTick(of: slot, in: firstDelay)
        }
    }

    /// Stops the schedules of interval checks; calls in progress finish.
    public func stopBackgroundRefresh() {
        let ticks = schedule.withLockedValue { schedule in
            schedule.isStopped = true
            defer { schedule.ticks = [:] }
            return Array(schedule.ticks.values)
        }
        for tick in ticks { tick.cancel() }
    }

    /// Stops the schedules and the workers: queued calls are answered "not run", each
    /// worker thread exits when its current call returns. Does not wait, so a hung call
    /// cannot keep the host from exiting.
    public func shutdown() {
        stopBackgroundRefresh()
        pool.shutdownGracefully { _ in }
    }

    /// The reports of `checks`, in the same order: cached where their policy allows,
    /// otherwise from calls run concurrently.
    ///
    /// The calls report into one collector and the request resumes once, when the last
    /// report is in: no Swift task per check, so a request naming many checks costs
    /// their calls, not as many task switches.
    public func reports(for checks: [RegisteredCheck]) async -> [CheckReport] {
        if let ready = reportsWithoutWaiting(for: checks) { return ready }
        return await withCheckedContinuation { continuation in
            let collector = ReportCollector(count: checks.count) { continuation.resume(returning: $0) }
            for (index, check) in checks.enumerated() {
                deliverReport(for: check) { collector.deliver($0, at: index) }
            }
        }
    }

    /// The reports of `checks` if every one can be answered without waiting (cached,
    /// background, stale or stuck); `nil` if any needs a call. Safe on an event loop.
    public func reportsWithoutWaiting(for checks: [RegisteredCheck]) -> [CheckReport]? {
        let now = clock.now
        var reports: [CheckReport] = []
        reports.reserveCapacity(checks.count)
        for (index, check) in checks.enumerated() {
            guard let answer = slots[check.name]?.answerWithoutWaiting(now: now) else {
                // The request waits for a call after all: the answers so far are not used.
                for earlier in checks[..<index] { slots[earlier.name]?.countCacheHit(-1) }
                return nil
            }
            reports.append(answer)
        }
        return reports
    }

    /// ``reportsWithoutWaiting(for:)`` with a stamp of those answers when they stand
    /// until something changes or a known instant passes; the stamp is `nil` when an
    /// answer depends on the time itself (a stale result, a stuck call). Counts the
    /// cache hits as ``reportsWithoutWaiting(for:)`` does. Safe on an event loop.
    public func stampedReportsWithoutWaiting(for checks: [RegisteredCheck]) -> (reports: [CheckReport], stamp: ReportsStamp?)? {
        let now = clock.now
        var found: [CheckSlot] = []
        found.reserveCapacity(checks.count)
        // The change counts are read before the answers: a change in between makes the
        // stamp older than the answers, so it never matches again (never the reverse).
        var generation: UInt64 = 0
        for check in checks {
            guard let slot = slots[check.name] else { return nil }
            found.append(slot)
            generation &+= slot.generation
        }
        var reports: [CheckReport] = []
        reports.reserveCapacity(checks.count)
        var holds: Duration? = ReportsStamp.longestHold
        for (index, slot) in found.enumerated() {
            guard let answer = slot.immediateAnswerWithoutWaiting(now: now) else {
                for earlier in found[..<index] { earlier.countCacheHit(-1) }
                return nil
            }
            reports.append(answer.report)
            if let longest = holds { holds = answer.unchangedFor.map { min($0, longest) } }
        }
        let stamp = holds.map { ReportsStamp(slots: found, generation: generation, validUntil: now + $0) }
        return (reports, stamp)
    }

    /// Whether the checks of `stamp` still answer what they answered when it was made:
    /// no change since and no bound passed. Reads no lock and looks nothing up.
    public func stillAnswers(_ stamp: ReportsStamp) -> Bool {
        guard clock.now < stamp.validUntil else { return false }
        var generation: UInt64 = 0
        for slot in stamp.slots { generation &+= slot.generation }
        return generation == stamp.generation
    }

    /// Counts a request answered from the reports `stamp` stands for (while
    /// ``stillAnswers(_:)``) as a cache hit of each of its checks.
    public func countAnswers(from stamp: ReportsStamp) {
        for slot in stamp.slots { slot.countCacheHit(1) }
    }

    /// The report of one check: cached, joined to the call in progress, or from a new
    /// call, bounded by the check's timeout.
    public func report(for check: RegisteredCheck) async -> CheckReport {
        await withCheckedContinuation { continuation in
            deliverReport(for: check) { continuation.resume(returning: $0) }
        }
    }

    /// Calls `deliver` exactly once with the check's report: at once when it can be
    /// answered without waiting, else when the call it joins or starts ends or times out.
    private func deliverReport(for check: RegisteredCheck, to deliver: @escaping ReportDelivery) {
        guard let slot = slots[check.name] else {
            return deliver(
                CheckReport(
                    name: check.name, result: .fail("internal error: '\(check.name)' is not registered with the engine"),
                    finishedAt: clock.currentDate, duration: .zero))
        }
        if let answer = slot.answerWithoutWaiting(now: clock.now) { return deliver(answer) }
        switch slot.request(now: clock.now, waiter: deliver) {
        case .answer(let report): deliver(report)
        case .joined: break
        case .started(let id): launch(slot, call: id)
        }
    }

    /// Runs a blocking call that is not a check (a plugin's `info`, say) on a worker
    /// thread; `nil` when it has not returned within `timeout` (it is left to return) or
    /// the engine is shutting down.
    public func runBlocking<T: Sendable>(timeout: Duration, _ body: @escaping @Sendable () -> T) async -> T? {
        await withCheckedContinuation { continuation in
            let answered = NIOLockedValueBox(false)
            let answer: @Sendable (T?) -> Void = { value in
                let first = answered.withLockedValue { answered in
                    defer { answered = true }
                    return !answered
                }
                if first { continuation.resume(returning: value) }
            }
            let timer = timers.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { answer(nil) }
            pool.submit { state in
                defer { timer.cancel() }
                guard case .active = state else { return answer(nil) }
                answer(body())
            }
        }
    }

    /// What the engine knows about the check registered as `name`.
    public func statistics(of name: String) -> CheckStatistics? {
        slots[name]?.statistics(now: clock.now)
    }

    // MARK: - Calls

    private func launch(_ slot: CheckSlot, call id: Int) {
        let check = slot.check
        let timer = timers.scheduleTask(in: .nanoseconds(check.timeout.nanoseconds)) { [self] in
            timeOut(slot, call: id)
        }
        slot.attach(timer: timer, to: id)
        let gate = check.implementation.serializationKey.flatMap { gates[$0] }
        let submit: @Sendable () -> Void = { [self] in
            pool.submit { state in self.execute(slot, call: id, poolState: state, gate: gate) }
        }
        if let gate { gate.enter(submit) } else { submit() }
    }

    /// Runs on a worker thread.
    private func execute(_ slot: CheckSlot, call id: Int, poolState: NIOThreadPool.WorkItemState, gate: SerialGate?) {
        defer { gate?.leave() }
        guard slot.beginExecution(of: id) else { return }
        let check = slot.check
        let started = clock.now
        let result: CheckResult
        switch poolState {
        case .active:
            result = check.implementation.run(CheckInvocation(configuredName: check.name, timeout: check.timeout))
        case .cancelled:
            result = .fail("not run: the host is shutting down")
        }
        let finishedAt = clock.now
        guard let finished = slot.finish(id, result: result, duration: finishedAt - started, now: finishedAt) else { return }
        if finished.late {
            let took = (finishedAt - started).humanReadable
            logger.warning(
                """
                check \(check.name) returned after \(took), past its limit of \(check.timeout.humanReadable); its result was dropped and calls may \
                start again
                """,
                metadata: ["check.name": "\(check.name)", "check.source": "\(check.implementation.source)"])
        }
        if let change = finished.change { logStatusChange(change, of: check) }
        for waiter in finished.waiters { waiter(finished.report) }
    }

    private func timeOut(_ slot: CheckSlot, call id: Int) {
        guard let timedOut = slot.timeOut(id, now: clock.now) else { return }
        let check = slot.check
        if timedOut.wasExecuting {
            logger.warning(
                "check \(check.name) timed out after \(check.timeout.humanReadable) and has not returned; no new call of it starts until it does",
                metadata: ["check.name": "\(check.name)", "check.source": "\(check.implementation.source)"])
        } else {
            logger.warning(
                """
                check \(check.name) timed out after \(check.timeout.humanReadable) before it could start: all worker threads were busy or an \
                earlier call of this non-thread-safe check had not returned
                """,
                metadata: ["check.name": "\(check.name)", "check.source": "\(check.implementation.source)"])
        }
        if let change = timedOut.change { logStatusChange(change, of: check) }
        for waiter in timedOut.waiters { waiter(timedOut.report) }
    }

    /// One line per change of a check's status: a failure at `warning`, a recovery or a
    /// first pass at `notice`, the data in metadata (a first passing result is not news).
    private func logStatusChange(_ change: StatusChange, of check: RegisteredCheck) {
        let status = change.report.result.status
        if change.previous == nil && status == .pass { return }
        var metadata: Logger.Metadata = [
            "check.name": "\(check.name)", "check.source": "\(check.implementation.source)",
            "check.status": "\(status)", "check.previous_status": "\(change.previous.map(\.description) ?? "none")",
            "check.message": "\(change.report.result.message)",
            "check.duration_ms": "\(Int((change.report.duration.seconds * 1000).rounded()))",
        ]
        if let lasted = change.previousLasted { metadata["check.previous_status_seconds"] = "\(Int(lasted.seconds.rounded()))" }
        let message: Logger.Message =
            change.previous == nil ? "check status: first result is \(status)" : "check status changed to \(status)"
        logger.log(level: status == .pass ? .notice : .warning, message, metadata: metadata)
    }

    // MARK: - Background refresh

    private func scheduleTick(of slot: CheckSlot, in delay: Duration) {
        schedule.withLockedValue { schedule in
            guard !schedule.isStopped else { return }
            schedule.ticks[slot.check.name] = timers.scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [self] in
                tick(slot)
            }
        }
    }

    private func tick(_ slot: CheckSlot) {
        if let id = slot.trigger(now: clock.now) { launch(slot, call: id) }
        guard let interval = slot.check.refresh.interval else { return }
        let spread = interval * RefreshPolicy.jitterFraction
        scheduleTick(of: slot, in: interval - spread + Self.jitter(upTo: spread * 2))
    }

    private static func jitter(upTo limit: Duration) -> Duration {
        let nanoseconds = limit.nanoseconds
        return nanoseconds > 0 ? .nanoseconds(Int64.random(in: 0...nanoseconds)) : .zero
    }
}
