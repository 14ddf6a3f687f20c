import Foundation

/// What the engine knows about one check, for operators (status page, metrics, logs).
public struct CheckStatistics: Sendable {
    /// The newest result (fresh or timed out), `nil` before the first run ends.
    public var lastReport: CheckReport?
    /// How long the newest finished call took (including calls that returned after
    /// their timeout).
    public var lastDuration: Duration?
    /// When the check last passed (or warned).
    public var lastSuccessAt: Date?
    /// Failing results in a row (timeouts included); 0 after a pass or warn.
    public var consecutiveFailures = 0
    /// Calls that returned (in time or late).
    public var completedCalls = 0
    /// Calls that missed their timeout.
    public var timeouts = 0
    /// When the call now in progress was started; `nil` when none is.
    public var runningSince: Date?
    /// Whether the call in progress is past its timeout and has not returned: the
    /// engine starts no other call of this check until it does.
    public var isStuck = false
    /// Whether the newest result of a background check is older than its staleness
    /// bound, so that requests get it as failed ("stale"); as of when the copy was taken.
    public var isStale = false
    /// Results by status (timeouts count as `fail`), fresh runs only.
    public var runsByStatus: [CheckStatus: Int] = [:]
    /// How long calls that returned in time took.
    public var durations = DurationHistogram(bounds: DurationHistogram.checkBounds)
    /// Requests answered from a stored result without a call (cached, background, stale).
    public var cacheHits = 0
    /// Requests that needed a call (started one, or joined the one in progress).
    public var cacheMisses = 0

    /// No runs yet.
    public init() {}

    mutating func record(_ report: CheckReport) {
        lastReport = report
        runsByStatus[report.result.status, default: 0] += 1
        if report.result.status.isPassing {
            lastSuccessAt = report.finishedAt
            consecutiveFailures = 0
        } else {
            consecutiveFailures += 1
        }
    }
}
