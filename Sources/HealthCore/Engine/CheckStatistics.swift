/// What the engine knows about one check, for operators (status page, metrics, logs).
public struct CheckStatistics: Sendable {
    /// The newest result (fresh or timed out), `nil` before the first run ends.
    public var lastReport: CheckReport?
    /// How long the newest finished call took (including calls that returned after
    /// their timeout).
    public var lastDuration: Duration?
    /// When the check last passed (or warned).
    public var lastSuccessAt: WallTime?
    /// Failing results in a row (timeouts included); 0 after a pass or warn.
    public var consecutiveFailures = 0
    /// Calls that returned (in time or late).
    public var completedCalls = 0
    /// Calls that missed their timeout.
    public var timeouts = 0
    /// When the call now in progress was started; `nil` when none is.
    public var runningSince: WallTime?
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
    /// When the newest result's status began (the first result of that status in a row).
    public var statusSince: WallTime?
    /// The latest results, oldest first, at most ``historyLength``.
    public var history: [HistoryEntry] = []

    /// Results kept in ``history``.
    public static let historyLength = 20

    /// One past result, for the status page's history.
    public struct HistoryEntry: Sendable {
        /// The reported status.
        public let status: CheckStatus
        /// The run's own status, when flap damping reported another.
        public let rawStatus: CheckStatus?
        /// Its message.
        public let message: String
        /// When it was produced.
        public let at: WallTime
        /// How long the run took.
        public let duration: Duration
    }

    /// No runs yet.
    public init() {}

    /// Records a fresh result; returns the change of status it makes, if any (the first
    /// result is a change from no status).
    @discardableResult
    mutating func record(_ report: CheckReport) -> StatusChange? {
        let previous = lastReport?.result.status
        let previousSince = statusSince
        defer { lastReport = report }
        let raw = report.rawResult ?? report.result
        runsByStatus[raw.status, default: 0] += 1
        if history.count >= Self.historyLength { history.removeFirst(history.count - Self.historyLength + 1) }
        history.append(
            HistoryEntry(
                status: report.result.status, rawStatus: report.rawResult?.status, message: raw.message,
                at: report.finishedAt, duration: report.duration))
        if raw.status.isPassing {
            lastSuccessAt = report.finishedAt
            consecutiveFailures = 0
        } else {
            consecutiveFailures += 1
        }
        guard previous != report.result.status else { return nil }
        statusSince = report.finishedAt
        return StatusChange(
            report: report, previous: previous,
            previousLasted: previousSince.map { .seconds(report.finishedAt.timeIntervalSince($0)) })
    }
}

/// A check's status changed (pass to fail, fail to warn...): what the engine logs.
public struct StatusChange: Sendable {
    /// The result with the new status.
    public let report: CheckReport
    /// The status before; `nil` for the check's first result.
    public let previous: CheckStatus?
    /// How long the check had the previous status.
    public let previousLasted: Duration?
}
