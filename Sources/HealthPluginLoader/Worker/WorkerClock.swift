/// Where a plugin worker's supervision reads the time and the back-off's jitter: the
/// system's in use, a manual one in tests (which then move time on instead of sleeping
/// through a back-off).
struct WorkerClock: Sendable {
    /// The current instant.
    var now: @Sendable () -> ContinuousClock.Instant
    /// The factor a back-off is scaled by (0.8...1.2 in use).
    var jitter: @Sendable () -> Double

    /// The continuous clock and a random jitter.
    static let system = WorkerClock(now: { ContinuousClock.now }, jitter: { Double.random(in: 0.8...1.2) })
}
