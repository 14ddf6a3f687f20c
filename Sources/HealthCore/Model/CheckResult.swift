/// What a check reported: a status, a human-readable message and, optionally, the
/// measurement behind it.
public struct CheckResult: Sendable, Equatable {
    /// Pass, warn or fail.
    public var status: CheckStatus
    /// Human-readable outcome, e.g. "12 GB free". Shown in API responses.
    public var message: String
    /// The measured value behind the outcome, if the check gave one.
    public var observedValue: Double?
    /// The unit of ``observedValue``, e.g. "ms"; empty when none was given.
    public var observedUnit: String

    /// Creates a result.
    public init(status: CheckStatus, message: String, observedValue: Double? = nil, observedUnit: String = "") {
        self.status = status
        self.message = message
        self.observedValue = observedValue
        self.observedUnit = observedUnit
    }

    /// A passing result.
    public static func pass(_ message: String) -> CheckResult { CheckResult(status: .pass, message: message) }
    /// A warning result.
    public static func warn(_ message: String) -> CheckResult { CheckResult(status: .warn, message: message) }
    /// A failing result.
    public static func fail(_ message: String) -> CheckResult { CheckResult(status: .fail, message: message) }
}
