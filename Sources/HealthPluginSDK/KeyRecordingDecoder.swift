/// Wraps a `Decoder` and records, per coding path, every key the decoded type asks for
/// (decoded, looked up with `contains` or `decodeIfPresent`, or all keys of a
/// dictionary). Comparing that with the keys present in the JSON finds keys no property
/// reads: typos in a plugin's configuration.
final class KeyRecorder: @unchecked Sendable {
    // Used by one decoding pass on one thread.
    private(set) var keysByPath: [String: Set<String>] = [:]
    private(set) var takesAllKeys: Set<String> = []

    func record(_ key: String, at path: [any CodingKey]) {
        keysByPath[Self.text(path), default: []].insert(key)
    }

    func recordAllKeys(at path: [any CodingKey]) {
        takesAllKeys.insert(Self.text(path))
    }

    /// A coding path as text, list positions ignored (every element of a list is
    /// checked against the keys asked of any element).
    static func text(_ path: [any CodingKey]) -> String {
        path.filter { $0.intValue == nil }.map(\.stringValue).joined(separator: ".")
    }
}

/// Types that hold no keys of their own: the standard scalars, and FoundationEssentials'
/// value types (known by name: the SDK does not import FoundationEssentials, a plugin
/// that uses them does), which the decoder reads its own way.
private func isLeaf<T>(_ type: T.Type) -> Bool {
    let leaves: [Any.Type] = [
        String.self, Bool.self, Int.self, Int8.self, Int16.self, Int32.self, Int64.self, UInt.self, UInt8.self,
        UInt16.self, UInt32.self, UInt64.self, Double.self, Float.self,
    ]
    if leaves.contains(where: { $0 == type }) { return true }
    switch String(reflecting: type) {
    case "FoundationEssentials.URL", "FoundationEssentials.Date", "FoundationEssentials.Data",
        "FoundationEssentials.Decimal", "FoundationEssentials.UUID":
        return true
    default:
        return false
    }
}

struct KeyRecordingDecoder: Decoder {
    let base: any Decoder
    let recorder: KeyRecorder

    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RecordingKeyedContainer(base: try base.container(keyedBy: type), recorder: recorder))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        RecordingUnkeyedContainer(base: try base.unkeyedContainer(), recorder: recorder)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        try base.singleValueContainer()
    }
}

private struct RecordingKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    var base: KeyedDecodingContainer<Key>
    let recorder: KeyRecorder

    var codingPath: [any CodingKey] { base.codingPath }
    var allKeys: [Key] {
        recorder.recordAllKeys(at: codingPath)
        return base.allKeys
    }

    func contains(_ key: Key) -> Bool {
        recorder.record(key.stringValue, at: codingPath)
        return base.contains(key)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        recorder.record(key.stringValue, at: codingPath)
        return try base.decodeNil(forKey: key)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        recorder.record(key.stringValue, at: codingPath)
        // Leaves go straight to the decoder, which reads URL and Data its own way.
        if isLeaf(type) { return try base.decode(type, forKey: key) }
        return try T(from: KeyRecordingDecoder(base: try base.superDecoder(forKey: key), recorder: recorder))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        recorder.record(key.stringValue, at: codingPath)
        guard base.contains(key), try !base.decodeNil(forKey: key) else { return nil }
        return try decode(type, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        recorder.record(key.stringValue, at: codingPath)
        return KeyedDecodingContainer(
            RecordingKeyedContainer<NestedKey>(base: try base.nestedContainer(keyedBy: type, forKey: key), recorder: recorder))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        recorder.record(key.stringValue, at: codingPath)
        return RecordingUnkeyedContainer(base: try base.nestedUnkeyedContainer(forKey: key), recorder: recorder)
    }

    func superDecoder() throws -> any Decoder {
        KeyRecordingDecoder(base: try base.superDecoder(), recorder: recorder)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        recorder.record(key.stringValue, at: codingPath)
        return KeyRecordingDecoder(base: try base.superDecoder(forKey: key), recorder: recorder)
    }
}

private struct RecordingUnkeyedContainer: UnkeyedDecodingContainer {
    var base: any UnkeyedDecodingContainer
    let recorder: KeyRecorder

    var codingPath: [any CodingKey] { base.codingPath }
    var count: Int? { base.count }
    var isAtEnd: Bool { base.isAtEnd }
    var currentIndex: Int { base.currentIndex }

    mutating func decodeNil() throws -> Bool { try base.decodeNil() }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if isLeaf(type) { return try base.decode(type) }
        return try T(from: KeyRecordingDecoder(base: try base.superDecoder(), recorder: recorder))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        KeyedDecodingContainer(RecordingKeyedContainer<NestedKey>(base: try base.nestedContainer(keyedBy: type), recorder: recorder))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        RecordingUnkeyedContainer(base: try base.nestedUnkeyedContainer(), recorder: recorder)
    }

    mutating func superDecoder() throws -> any Decoder {
        KeyRecordingDecoder(base: try base.superDecoder(), recorder: recorder)
    }
}
