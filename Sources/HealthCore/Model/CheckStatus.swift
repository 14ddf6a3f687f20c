/// The outcome of one check run.
///
/// The raw values are the ABI's (and Nagios') codes: `HH_PASS`, `HH_WARN`, `HH_FAIL`.
public enum CheckStatus: Int, Sendable, Comparable, CustomStringConvertible {
    /// Healthy.
    case pass = 0
    /// Working but degraded. Counts as passing wherever only pass/fail is reported.
    case warn = 1
    /// Not healthy.
    case fail = 2

    /// Whether probes that only know "up" or "down" treat this status as up.
    public var isPassing: Bool { self != .fail }

    public var description: String {
        switch self {
        case .pass: "pass"
        case .warn: "warn"
        case .fail: "fail"
        }
    }

    public static func < (lhs: CheckStatus, rhs: CheckStatus) -> Bool { lhs.rawValue < rhs.rawValue }
}
