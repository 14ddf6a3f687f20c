public import HealthPluginABI

/// A Swift type a check parameter can have: `String`, `Int`, `Double` or `Bool`,
/// passed by the host as the ABI's `HH_PARAM_STRING`, `_INT`, `_DOUBLE` or `_BOOL`.
/// (Its requirements are static, so conforming adds no instance members to these types.)
public protocol CheckArgument: Sendable {
    /// The ABI type the host converts the configured value to.
    static var parameterType: hh_param_type { get }
    /// `value` as default text in the ABI's format ("5", "2.5", "true").
    static func defaultText(of value: Self) -> String
    /// The value from what the host passed; `nil` when it holds another type.
    static func value(from argument: ArgumentValue) -> Self?
}

extension String: CheckArgument {
    public static var parameterType: hh_param_type { HH_PARAM_STRING }
    public static func defaultText(of value: String) -> String { value }
    public static func value(from argument: ArgumentValue) -> String? {
        guard case .string(let text) = argument else { return nil }
        return text
    }
}

extension Int: CheckArgument {
    public static var parameterType: hh_param_type { HH_PARAM_INT }
    public static func defaultText(of value: Int) -> String { String(value) }
    public static func value(from argument: ArgumentValue) -> Int? {
        guard case .int(let number) = argument else { return nil }
        return Int(exactly: number)
    }
}

extension Double: CheckArgument {
    public static var parameterType: hh_param_type { HH_PARAM_DOUBLE }
    public static func defaultText(of value: Double) -> String { String(value) }
    public static func value(from argument: ArgumentValue) -> Double? {
        guard case .double(let number) = argument else { return nil }
        return number
    }
}

extension Bool: CheckArgument {
    public static var parameterType: hh_param_type { HH_PARAM_BOOL }
    public static func defaultText(of value: Bool) -> String { value ? "true" : "false" }
    public static func value(from argument: ArgumentValue) -> Bool? {
        guard case .bool(let flag) = argument else { return nil }
        return flag
    }
}

/// One argument as the host passed it (an `hh_arg`), before it becomes the closure's
/// typed value.
public enum ArgumentValue: Sendable, Equatable {
    /// `HH_PARAM_STRING`.
    case string(String)
    /// `HH_PARAM_INT`.
    case int(Int64)
    /// `HH_PARAM_DOUBLE` (always finite).
    case double(Double)
    /// `HH_PARAM_BOOL`.
    case bool(Bool)
}

/// A typed parameter of a check. The operator sets it under the configured check's
/// `args` in the host config, which the host checks against the type before it starts;
/// the check's closure receives it as a `Value`.
///
/// ```swift
/// Check("disk_free", parameters: .string("path", default: "/"), .int("min_free_mb")) { path, minFree in
///     ...
/// }
/// ```
public struct Parameter<Value: CheckArgument>: Sendable {
    /// The argument's name in the config, `[a-z0-9_.-]{1,64}`.
    public let name: String
    /// The value used when the config gives none; `nil` makes the argument required.
    public let defaultValue: Value?
    /// A password or token: the host never shows the value (responses, logs,
    /// `healthhost plugins`) and replaces it in check messages by `********`.
    public let isSecret: Bool
    /// One line for `healthhost plugins`.
    public let summary: String

    /// A parameter named `name`, required unless it has a `default`.
    public init(_ name: String, default defaultValue: Value? = nil, secret: Bool = false, summary: String = "") {
        self.name = name
        self.defaultValue = defaultValue
        self.isSecret = secret
        self.summary = summary
    }

    var declaration: ParameterDeclaration {
        ParameterDeclaration(
            name: name, type: Value.parameterType, defaultText: defaultValue.map(Value.defaultText(of:)), isSecret: isSecret,
            summary: summary)
    }

    /// This parameter's value among the call's arguments.
    func value(in arguments: CheckArguments) throws -> Value {
        guard let argument = arguments.values[name] else {
            throw ArgumentError("the host passed no argument '\(name)'")
        }
        guard let value = Value.value(from: argument) else {
            throw ArgumentError("argument '\(name)' is \(argument), expected \(Value.self)")
        }
        return value
    }
}

extension Parameter where Value == String {
    /// A text parameter (`HH_PARAM_STRING`).
    public static func string(_ name: String, default defaultValue: String? = nil, secret: Bool = false, summary: String = "") -> Self {
        Self(name, default: defaultValue, secret: secret, summary: summary)
    }
}

extension Parameter where Value == Int {
    /// A whole-number parameter (`HH_PARAM_INT`, 64 bits).
    public static func int(_ name: String, default defaultValue: Int? = nil, secret: Bool = false, summary: String = "") -> Self {
        Self(name, default: defaultValue, secret: secret, summary: summary)
    }
}

extension Parameter where Value == Double {
    /// A floating-point parameter (`HH_PARAM_DOUBLE`); the host accepts only finite values.
    public static func double(_ name: String, default defaultValue: Double? = nil, secret: Bool = false, summary: String = "") -> Self {
        Self(name, default: defaultValue, secret: secret, summary: summary)
    }
}

extension Parameter where Value == Bool {
    /// A `true`/`false` parameter (`HH_PARAM_BOOL`).
    public static func bool(_ name: String, default defaultValue: Bool? = nil, summary: String = "") -> Self {
        Self(name, default: defaultValue, secret: false, summary: summary)
    }
}

/// A parameter as the descriptor declares it, whatever its Swift type.
struct ParameterDeclaration: Sendable {
    let name: String
    let type: hh_param_type
    let defaultText: String?
    let isSecret: Bool
    let summary: String
}

/// The arguments of one call, by parameter name.
struct CheckArguments: Sendable {
    var values: [String: ArgumentValue] = [:]

    /// Reads `hh_call.args` (ABI 1.2; empty from an older host, which could not have
    /// loaded a plugin with parameters anyway).
    init(call: UnsafePointer<hh_call>) {
        let size = Int(call.pointee.struct_size)
        guard let countOffset = MemoryLayout<hh_call>.offset(of: \hh_call.arg_count),
            size >= countOffset + MemoryLayout<UInt32>.size, let args = call.pointee.args
        else { return }
        for index in 0..<Int(call.pointee.arg_count) {
            let arg = args[index]
            guard let name = arg.name.map({ String(cString: $0) }) else { continue }
            switch arg.type {
            case HH_PARAM_STRING.rawValue: values[name] = .string(arg.string_value.map { String(cString: $0) } ?? "")
            case HH_PARAM_INT.rawValue: values[name] = .int(arg.int_value)
            case HH_PARAM_DOUBLE.rawValue: values[name] = .double(arg.double_value)
            case HH_PARAM_BOOL.rawValue: values[name] = .bool(arg.bool_value)
            default: continue
            }
        }
    }

    init() {}
}

/// An argument the closure needs is missing or of another type (a host bug or a
/// mismatched SDK); the check fails with this text.
struct ArgumentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
