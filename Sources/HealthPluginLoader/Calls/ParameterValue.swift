/// A typed argument value for a declared parameter.
public enum ParameterValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)

    /// The parameter kind this value belongs to.
    public var kind: ParameterDescription.Kind {
        switch self {
        case .string: .string
        case .int: .int
        case .double: .double
        case .bool: .bool
        }
    }

    /// Parses text in the parameter's type ("5", "2.5", "true"); `nil` when it does not fit.
    public static func parse(_ text: String, as kind: ParameterDescription.Kind) -> ParameterValue? {
        switch kind {
        case .string: .string(text)
        case .int: Int64(text).map(ParameterValue.int)
        case .double: Double(text).flatMap { $0.isFinite ? .double($0) : nil }
        case .bool:
            switch text {
            case "true": .bool(true)
            case "false": .bool(false)
            default: nil
            }
        }
    }

    /// The value as config text ("5", "2.5", "true", or the string itself).
    public var text: String {
        switch self {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        }
    }
}
