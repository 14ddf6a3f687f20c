public import HealthJSON

/// Any value in the config where the shape is up to a plugin: `plugins.config.*` and
/// check `args`. A scalar keeps the text the operator wrote beside the value YAML gave it
/// (`0644` is the int 420, written "0644"): plugins read the text (`config_get`, string
/// parameters), the JSON handed to `init` and typed parameters the value.
public indirect enum ConfigValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ConfigValue])
    case map([String: ConfigValue])
    /// A typed scalar whose source text differs from its rendering (`0644`, `1.10`, `yes`).
    case written(ConfigValue, source: String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        func keepingSource(_ typed: ConfigValue) -> ConfigValue {
            guard let source = try? container.decode(String.self), source != typed.scalarText else { return typed }
            return .written(typed, source: source)
        }
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = keepingSource(.bool(value))
        } else if let value = try? container.decode(Int.self) {
            self = keepingSource(.int(value))
        } else if let value = try? container.decode(Double.self) {
            self = keepingSource(.double(value))
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ConfigValue].self) {
            self = .list(value)
        } else {
            self = .map(try container.decode([String: ConfigValue].self))
        }
    }

    /// The value as JSON text (maps with sorted keys).
    public var jsonText: String { json.text }

    /// The value as a JSON document (NaN and infinities become `null`: JSON has neither).
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .int(value)
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .list(let items): .array(items.map(\.json))
        case .map(let entries): .object(entries.mapValues(\.json))
        case .written(let value, _): value.json
        }
    }

    /// The value as text when it is a scalar: "true", "2", "2.5", "abc"; `nil` otherwise.
    public var scalarText: String? {
        switch self {
        case .bool(let value): String(value)
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .string(let value): value
        case .written(let value, _): value.scalarText
        case .null, .list, .map: nil
        }
    }

    /// A scalar as the operator wrote it ("0644", "1.10", "yes"); `nil` when not a scalar.
    public var sourceText: String? {
        if case .written(_, let source) = self { return source }
        return scalarText
    }

    /// Every scalar below this value by dotted key ("database.host"); list items by index.
    public func flattenedScalars(prefix: String = "") -> [String: String] {
        func join(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
        switch self {
        case .map(let entries):
            return entries.reduce(into: [:]) { result, entry in
                result.merge(entry.value.flattenedScalars(prefix: join(entry.key))) { $1 }
            }
        case .list(let items):
            return items.enumerated().reduce(into: [:]) { result, item in
                result.merge(item.element.flattenedScalars(prefix: join(String(item.offset)))) { $1 }
            }
        default:
            return sourceText.map { [prefix: $0] } ?? [:]
        }
    }
}
