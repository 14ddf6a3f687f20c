/// Flap damping (`fail_after`, `pass_after`, `fail_after_seconds`): how many runs in a
/// row must disagree with the reported status before it changes, as Consul's
/// `failures_before_critical` / `success_before_passing` and Kubernetes'
/// `failureThreshold` / `successThreshold` do. Runs count, not requests (a cached answer
/// is not a run), and a check's first result applies at once.
public struct DampingPolicy: Sendable, Equatable {
    /// Failing runs in a row before a passing (or warning) check reports fail.
    public var failAfter: Int
    /// Passing runs in a row before a failing check reports pass again.
    public var passAfter: Int
    /// Also required before it reports fail: this long since the first of those failures.
    public var failAfterTime: Duration?

    /// No damping: every result is reported as it is.
    public static let none = DampingPolicy()

    /// Creates a policy.
    public init(failAfter: Int = 1, passAfter: Int = 1, failAfterTime: Duration? = nil) {
        self.failAfter = max(1, failAfter)
        self.passAfter = max(1, passAfter)
        self.failAfterTime = failAfterTime
    }

    /// Whether it changes anything.
    public var isDamping: Bool { failAfter > 1 || passAfter > 1 || failAfterTime != nil }

    /// `fail after 3 runs and 30 s, pass after 2 runs`.
    public var summary: String {
        var fail = "fail after \(failAfter) run\(failAfter == 1 ? "" : "s")"
        if let failAfterTime { fail += " and \(failAfterTime.humanReadable)" }
        return "\(fail), pass after \(passAfter) run\(passAfter == 1 ? "" : "s")"
    }
}

/// One check's damping: the reported result and the runs that disagree with it so far.
struct DampingState: Sendable {
    private var reported: CheckResult?
    private var disagreeingRuns = 0
    private var failingSince: ContinuousClock.Instant?

    /// The result to report for run result `raw`, and, when it differs from `raw`, why.
    mutating func apply(_ raw: CheckResult, now: ContinuousClock.Instant, policy: DampingPolicy) -> (
        result: CheckResult, held: String?
    ) {
        guard let current = reported, current.status.isPassing != raw.status.isPassing else {
            return accept(raw)
        }
        disagreeingRuns += 1
        if raw.status.isPassing {
            if disagreeingRuns >= policy.passAfter { return accept(raw) }
            return (current, "\(disagreeingRuns) of \(policy.passAfter) passes before it reports pass")
        }
        let since = failingSince ?? now
        failingSince = since
        let inError = now - since
        let timeMet = policy.failAfterTime.map { inError >= $0 } ?? true
        if disagreeingRuns >= policy.failAfter && timeMet { return accept(raw) }
        guard disagreeingRuns >= policy.failAfter, let limit = policy.failAfterTime else {
            let time = policy.failAfterTime.map { " and \($0.humanReadable) in error" } ?? ""
            return (current, "\(disagreeingRuns) of \(policy.failAfter) failures\(time) before it reports fail")
        }
        let runs = "\(disagreeingRuns) failing run\(disagreeingRuns == 1 ? "" : "s")"
        return (current, "in error for \(inError.humanReadable) of \(limit.humanReadable) before it reports fail (\(runs))")
    }

    private mutating func accept(_ raw: CheckResult) -> (result: CheckResult, held: String?) {
        reported = raw
        disagreeingRuns = 0
        failingSince = nil
        return (raw, nil)
    }
}
