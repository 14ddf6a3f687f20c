/// A coding key that accepts any string, to list the keys a mapping really has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    /// Throws when the mapping being decoded has a key that `Keys` does not list, so a
    /// typo in the config is an error instead of a silently ignored setting.
    func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_: Keys.Type) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        let allowed = Keys.allCases.map(\.stringValue)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            let known = allowed.joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: codingPath + [key],
                    debugDescription: "unknown key '\(key.stringValue)' (known keys here: \(known))"))
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes an optional value, throwing for a present value of the wrong type.
    func optional<T: Decodable>(_ key: Key) throws -> T? {
        try decodeIfPresent(T.self, forKey: key)
    }
}
