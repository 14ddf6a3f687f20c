import Dispatch
import HealthCore
import HealthPOSIX
public import Logging
import NIOConcurrencyHelpers
public import NIOCore

#if canImport(Glibc)
public import Glibc
#endif

/// What the watchdog knows of the event loops between two rounds, and what it decides:
/// systemd is pinged only when every loop ran the heartbeat task of the round before,
/// so a loop stalled by a blocking call stops the pings and systemd restarts the host
/// (`WatchdogSec=`). A value type driven with explicit instants, tested without threads.
struct WatchdogRounds {
    /// What one round decides.
    enum Decision: Equatable {
        /// Every loop answered: ping.
        case ping
        /// These loops (by index) have not answered since `since`; log it once, at `firstTime`.
        case withhold(stalled: [Int], since: ContinuousClock.Instant, firstTime: Bool)
        /// After a stall, every loop answers again.
        case recovered(after: Duration)
    }

    private var answered: [Bool]
    private var posted: ContinuousClock.Instant?
    private var stalledSince: ContinuousClock.Instant?

    init(loopCount: Int) { answered = Array(repeating: true, count: loopCount) }

    /// Loop `index` ran this round's heartbeat.
    mutating func loopAnswered(_ index: Int) {
        if answered.indices.contains(index) { answered[index] = true }
    }

    /// Ends the round begun at the last call and begins one at `now` (the caller then
    /// posts a heartbeat task to every loop).
    mutating func nextRound(now: ContinuousClock.Instant) -> Decision {
        let stalled = answered.indices.filter { !answered[$0] }
        let roundStart = posted ?? now
        posted = now
        if stalled.isEmpty {
            answered = Array(repeating: false, count: answered.count)
            guard let since = stalledSince else { return .ping }
            stalledSince = nil
            return .recovered(after: now - since)
        }
        // The stalled loops keep their `false`; the others answer this round's again.
        for index in answered.indices where answered[index] { answered[index] = false }
        let firstTime = stalledSince == nil
        if firstTime { stalledSince = roundStart }
        return .withhold(stalled: stalled, since: stalledSince ?? roundStart, firstTime: firstTime)
    }
}

/// Pings the systemd watchdog (`WATCHDOG_USEC`) from a thread of its own while every
/// event loop of the server keeps answering: each round posts a task to each loop and
/// pings only when all of the previous round's tasks ran.
public final class EventLoopWatchdog: Sendable {
    private let loops: [any EventLoop]
    private let notifier: SystemdNotifier
    private let period: Duration
    private let logger: Logger
    private let rounds: NIOLockedValueBox<WatchdogRounds>
    private let stopped = NIOLockedValueBox(false)
    /// Signalled by ``stop()`` to end the wait between rounds.
    private let wakeUp = DispatchSemaphore(value: 0)
    /// Signalled by the thread as it ends.
    private let ended = DispatchSemaphore(value: 0)

    /// The watchdog timeout systemd set for this process (`WATCHDOG_USEC`, and
    /// `WATCHDOG_PID` when it names this process), or nil when there is none.
    public static func timeout(environment: [String: String], pid: Int32 = getpid()) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != pid { return nil }
        return .microseconds(microseconds)
    }

    /// A watchdog over `group`'s loops that pings four times per `timeout` (systemd
    /// asks for at least two).
    public init(group: any EventLoopGroup, notifier: SystemdNotifier, timeout: Duration, logger: Logger) {
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() { loops.append(loop) }
        self.loops = loops
        self.notifier = notifier
        self.period = timeout / 4
        self.logger = logger
        self.rounds = NIOLockedValueBox(WatchdogRounds(loopCount: loops.count))
    }

    /// Starts the pinging thread.
    public func start() {
        logger.debug("pinging the systemd watchdog", metadata: ["watchdog.period": "\(period)", "event_loops": "\(loops.count)"])
        let started = DetachedThread.start(name: "hh-watchdog") { [self] in
            while !stopped.withLockedValue({ $0 }) {
                round()
                _ = wakeUp.wait(
                    timeout: .now() + .nanoseconds(Int(period.components.seconds * 1_000_000_000 + period.components.attoseconds / 1_000_000_000)))
            }
            ended.signal()
        }
        if !started {
            logger.error("cannot start the watchdog's thread: systemd will restart the host when WatchdogSec runs out")
        }
    }

    /// Ends the pings and waits (up to a second) for the thread to post no more tasks to
    /// the loops, which may then be shut down.
    public func stop() {
        let wasRunning = stopped.withLockedValue { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard wasRunning else { return }
        wakeUp.signal()
        _ = ended.wait(timeout: .now() + .seconds(1))
    }

    private func round() {
        let decision = rounds.withLockedValue { $0.nextRound(now: .now) }
        switch decision {
        case .ping:
            notifier.watchdog()
        case .withhold(let stalled, let since, let firstTime):
            if firstTime {
                logger.error(
                    """
                    event loop(s) \(stalled.map(String.init).joined(separator: ", ")) stopped answering: the systemd watchdog is no longer \
                    pinged, and systemd restarts the host when WatchdogSec runs out
                    """,
                    metadata: ["watchdog.stalled_for": "\(ContinuousClock.now - since)"])
            }
        case .recovered(let duration):
            logger.notice("every event loop answers again after \(duration): the systemd watchdog is pinged again")
            notifier.watchdog()
        }
        // After stop() the loops may be shutting down: post nothing more.
        if stopped.withLockedValue({ $0 }) { return }
        for (index, loop) in loops.enumerated() {
            loop.execute { [rounds] in rounds.withLockedValue { $0.loopAnswered(index) } }
        }
    }
}
