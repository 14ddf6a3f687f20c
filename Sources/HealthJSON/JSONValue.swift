/// A JSON document as a value, for bodies whose shape varies (environment dumps,
/// dialect bodies, plugin config handed to plugins). Objects are written with sorted keys, as Flask's `jsonify` writes
/// them, so output is stable and diffable.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    /// A number; NaN and infinities are written as `null` (JSON has neither).
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// `value` as a string, or `null` when `nil`.
    public static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// The compact JSON text.
    public var text: String {
        var writer = JSONText()
        writer.value(self)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

extension JSONText {
    /// Appends any ``JSONValue`` (object keys sorted).
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): bool(flag)
        case .int(let integer): number(integer)
        case .double(let real): number(real)
        case .string(let text): string(text)
        case .array(let items):
            raw("[")
            for (index, item) in items.enumerated() {
                if index > 0 { raw(",") }
                self.value(item)
            }
            raw("]")
        case .object(let entries):
            raw("{")
            for (index, key) in entries.keys.sorted().enumerated() {
                if index > 0 { raw(",") }
                string(key)
                raw(":")
                self.value(entries[key] ?? .null)
            }
            raw("}")
        }
    }

    /// Appends an integer.
    public mutating func number(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Appends a number; NaN and infinities as `null`. Whole numbers keep no fraction.
    public mutating func number(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        if value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }
}
