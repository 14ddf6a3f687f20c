/// What a check reports: pass, warn or fail, a message for people and, optionally, the
/// measurement behind it.
///
/// ```swift
/// return .pass("12 GB free").observed(12.3, unit: "GB")
/// ```
public struct CheckResult: Sendable, Equatable {
    /// The outcome, with the values of the C ABI (Nagios exit codes).
    public enum Status: Int32, Sendable {
        /// Healthy.
        case pass = 0
        /// Working but degraded; counts as passing for probes.
        case warn = 1
        /// Not healthy.
        case fail = 2
    }

    /// Pass, warn or fail.
    public var status: Status
    /// Shown in API responses: never put secrets here. Cut (at a character boundary) to
    /// the host's buffer, 1023 bytes of UTF-8 in healthhost 0.1.
    public var message: String
    /// The measured value, if any (non-finite values are dropped by the host).
    public var observedValue: Double?
    /// The unit of ``observedValue``, e.g. "ms", "bytes", "percent" (at most 31 bytes).
    public var unit: String

    /// Creates a result.
    public init(status: Status, message: String, observedValue: Double? = nil, unit: String = "") {
        self.status = status
        self.message = message
        self.observedValue = observedValue
        self.unit = unit
    }

    /// A passing result.
    public static func pass(_ message: String = "") -> CheckResult { CheckResult(status: .pass, message: message) }
    /// A warning: working, but degraded.
    public static func warn(_ message: String) -> CheckResult { CheckResult(status: .warn, message: message) }
    /// A failing result.
    public static func fail(_ message: String) -> CheckResult { CheckResult(status: .fail, message: message) }

    /// The same result with a measurement attached.
    public func observed(_ value: Double, unit: String = "") -> CheckResult {
        var copy = self
        copy.observedValue = value
        copy.unit = unit
        return copy
    }
}
