/// When a check's result may be reused instead of running the check again.
///
/// - On demand (no ``interval``): a request runs the check unless the last result is
///   younger than its TTL (``successTTL`` for pass and warn, ``failureTTL`` for fail).
///   A TTL of zero means every request gets a fresh result.
/// - In the background (an ``interval``): the engine runs the check on that schedule,
///   with jitter, and requests read the latest result without waiting. A result older
///   than ``staleAfter`` is served as `fail` ("stale").
public struct RefreshPolicy: Sendable, Equatable {
    /// How long a passing (or warning) result is reused.
    public var successTTL: Duration
    /// How long a failing result is reused.
    public var failureTTL: Duration
    /// The schedule of background runs; `nil` runs the check on demand.
    public var interval: Duration?
    /// The age past which a background result counts as failed; `nil` uses
    /// ``defaultStaleAfter(interval:timeout:)``.
    public var staleAfter: Duration?

    /// Creates a policy. The defaults run the check on every request.
    public init(
        successTTL: Duration = .zero, failureTTL: Duration = .zero, interval: Duration? = nil,
        staleAfter: Duration? = nil
    ) {
        self.successTTL = successTTL
        self.failureTTL = failureTTL
        self.interval = interval
        self.staleAfter = staleAfter
    }

    /// Always run on demand, never reuse a result.
    public static let alwaysFresh = RefreshPolicy()

    /// How long `status` results are reused on demand.
    public func ttl(for status: CheckStatus) -> Duration {
        status.isPassing ? successTTL : failureTTL
    }

    /// Background runs start within this fraction of the interval before or after their
    /// due time, so that checks sharing an interval do not all run at once.
    public static let jitterFraction = 0.1

    /// The staleness bound of a background check: two intervals plus the timeout, so
    /// one missed or slow run is tolerated and a second is not.
    public static func defaultStaleAfter(interval: Duration, timeout: Duration) -> Duration {
        interval * 2 + timeout
    }
}

extension RefreshPolicy {
    /// A short human form for logs: "every 10 s", "cached 27 s on success, 9 s on
    /// failure", "cached 10 s on success only", "always fresh".
    public var summary: String {
        if let interval { return "every \(interval.humanReadable)" + (staleAfter.map { ", stale after \($0.humanReadable)" } ?? "") }
        switch (successTTL == .zero, failureTTL == .zero) {
        case (true, true): return "always fresh"
        case (false, true): return "cached \(successTTL.humanReadable) on success only"
        case (true, false): return "cached \(failureTTL.humanReadable) on failure only"
        case (false, false): return "cached \(successTTL.humanReadable) on success, \(failureTTL.humanReadable) on failure"
        }
    }
}
