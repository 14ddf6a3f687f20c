/// One result of a registered check: what it reported, when and how long it ran, and
/// whether the engine reused it from an earlier run.
public struct CheckReport: Sendable {
    /// The registered name.
    public let name: String
    /// What the check reported (or the engine: timeout, stuck, stale).
    public var result: CheckResult
    /// When the result was produced.
    public let finishedAt: WallTime
    /// How long the run took (up to the timeout).
    public let duration: Duration
    /// Whether this result was produced for an earlier request and reused.
    public var isCached: Bool
    /// Until when the engine reuses this result; `nil` when it is not reused.
    public var expiresAt: WallTime?
    /// Whether the engine answered it because a call missed its timeout (or is stuck past it).
    public var isTimedOut = false
    /// What the run itself returned, when flap damping reports something else; `nil`
    /// when ``result`` is the run's own.
    public var rawResult: CheckResult?
    /// Why the reported result is not the run's ("2 of 3 failures before it reports fail").
    public var damping: String?

    /// Creates a report.
    public init(
        name: String, result: CheckResult, finishedAt: WallTime, duration: Duration, isCached: Bool = false,
        expiresAt: WallTime? = nil
    ) {
        self.name = name
        self.result = result
        self.finishedAt = finishedAt
        self.duration = duration
        self.isCached = isCached
        self.expiresAt = expiresAt
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// A short human form: "250 ms", "2 s", "1.5 s".
    public var humanReadable: String {
        let s = seconds
        if s < 1 { return "\(Int((s * 1000).rounded())) ms" }
        let rounded = (s * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) s" : "\(rounded) s"
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    public var nanoseconds: Int64 {
        let (whole, attoseconds) = components
        let (product, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return whole < 0 ? .min : .max }
        return product &+ attoseconds / 1_000_000_000
    }
}
