import Synchronization

/// Where the engine reads the time: TTLs, staleness, stuck calls and durations compare
/// its instants, and reports carry its wall times. The system clock in production; a
/// ``ManualClock`` in tests, which advance it instead of sleeping (as NIO's
/// `EmbeddedEventLoop.advanceTime` does for timers).
public struct EngineClock: Sendable {
    private let instant: @Sendable () -> ContinuousClock.Instant
    private let date: @Sendable () -> WallTime

    /// A clock from two readings, which must advance together.
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant, date: @escaping @Sendable () -> WallTime) {
        self.instant = now
        self.date = date
    }

    /// The system's monotonic clock and wall clock.
    public static let system = EngineClock(now: { ContinuousClock.now }, date: { WallTime.now })

    /// Now, for comparing with other instants of this clock.
    public var now: ContinuousClock.Instant { instant() }

    /// Now, as reports show it.
    public var currentDate: WallTime { date() }
}

/// A clock that stands still until the test advances it.
public final class ManualClock: Sendable {
    private let startInstant = ContinuousClock.now
    private let startDate = WallTime.now
    private let elapsed = Mutex<Duration>(.zero)

    /// A clock standing at the moment it is made.
    public init() {}

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        elapsed.withLock { $0 += duration }
    }

    /// The engine's view of this clock.
    public var engineClock: EngineClock {
        EngineClock(
            now: { [self] in startInstant + elapsed.withLock { $0 } },
            date: { [self] in startDate.addingTimeInterval(elapsed.withLock { $0 }.seconds) })
    }
}
