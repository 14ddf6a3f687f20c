import HealthJSON

/// Any value in the config where the shape is up to a plugin: `plugins.config.*` and
/// check `args`.
public enum ConfigValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ConfigValue])
    case map([String: ConfigValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
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
        }
    }

    /// The value as text when it is a scalar: "true", "2", "2.5", "abc"; `nil` otherwise.
    public var scalarText: String? {
        switch self {
        case .bool(let value): String(value)
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .string(let value): value
        case .null, .list, .map: nil
        }
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
            return scalarText.map { [prefix: $0] } ?? [:]
        }
    }
}
