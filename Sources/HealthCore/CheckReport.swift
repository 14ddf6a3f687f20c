import Foundation

/// One finished run of a registered check: its result and when and how long it ran.
public struct CheckReport: Sendable {
    /// The registered name.
    public let name: String
    /// What the check reported (or the runner, on timeout).
    public let result: CheckResult
    /// When the result was produced.
    public let finishedAt: Date
    /// How long the run took (up to the timeout).
    public let duration: Duration

    /// Creates a report.
    public init(name: String, result: CheckResult, finishedAt: Date, duration: Duration) {
        self.name = name
        self.result = result
        self.finishedAt = finishedAt
        self.duration = duration
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
