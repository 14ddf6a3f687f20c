/// Encodes `Encodable` values into a ``JSONValue`` (then ``JSONValue/text``), keys as
/// the coding keys spell them: the worker protocol's frames. The counterpart of
/// ``JSONValueDecoder``; like it, here so the host needs no FoundationEssentials.
public struct JSONValueEncoder {
    /// An encoder.
    public init() {}

    /// `value` as a JSON value.
    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let root = EncodingNode()
        try value.encode(to: ValueEncoder(node: root, codingPath: []))
        return root.value
    }
}

/// Where one encoded value goes; containers fill it in place as they are written.
private final class EncodingNode {
    enum Content {
        case value(JSONValue)
        case object([(String, EncodingNode)])
        case array([EncodingNode])
    }

    var content: Content = .value(.null)

    var value: JSONValue {
        switch content {
        case .value(let value): return value
        case .object(let members):
            var object: [String: JSONValue] = [:]
            for (key, node) in members { object[key] = node.value }
            return .object(object)
        case .array(let items): return .array(items.map(\.value))
        }
    }

    func member(_ key: String) -> EncodingNode {
        if case .object(var members) = content {
            let node = EncodingNode()
            members.append((key, node))
            content = .object(members)
            return node
        }
        let node = EncodingNode()
        content = .object([(key, node)])
        return node
    }

    func appended() -> EncodingNode {
        let node = EncodingNode()
        if case .array(var items) = content {
            items.append(node)
            content = .array(items)
        } else {
            content = .array([node])
        }
        return node
    }

    func makeObject() {
        if case .object = content { return }
        content = .object([])
    }

    func makeArray() {
        if case .array = content { return }
        content = .array([])
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct ValueEncoder: Encoder, SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(ObjectEncoder<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return ArrayEncoder(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() { node.content = .value(.null) }
    func encode(_ value: Bool) { node.content = .value(.bool(value)) }
    func encode(_ value: String) { node.content = .value(.string(value)) }
    func encode(_ value: Double) { node.content = .value(.double(value)) }
    func encode(_ value: Float) { node.content = .value(.double(Double(value))) }
    func encode(_ value: Int) { node.content = .value(.int(value)) }
    func encode(_ value: Int8) { node.content = .value(.int(Int(value))) }
    func encode(_ value: Int16) { node.content = .value(.int(Int(value))) }
    func encode(_ value: Int32) { node.content = .value(.int(Int(value))) }
    func encode(_ value: Int64) { node.content = .value(.int(Int(value))) }
    func encode(_ value: UInt) throws { try encodeUnsigned(value) }
    func encode(_ value: UInt8) { node.content = .value(.int(Int(value))) }
    func encode(_ value: UInt16) { node.content = .value(.int(Int(value))) }
    func encode(_ value: UInt32) { node.content = .value(.int(Int(value))) }
    func encode(_ value: UInt64) throws { try encodeUnsigned(value) }

    func encode<T: Encodable>(_ value: T) throws {
        try value.encode(to: ValueEncoder(node: node, codingPath: codingPath))
    }

    private func encodeUnsigned<Integer: UnsignedInteger>(_ value: Integer) throws {
        guard let integer = Int(exactly: value) else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) does not fit in Int."))
        }
        node.content = .value(.int(integer))
    }
}

private struct ObjectEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    private func encoder(_ key: Key) -> ValueEncoder {
        ValueEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }

    func encodeNil(forKey key: Key) { encoder(key).encodeNil() }
    func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try encoder(key).encode(value) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        encoder(key).container(keyedBy: keyType)
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        encoder(key).unkeyedContainer()
    }

    func superEncoder() -> any Encoder {
        ValueEncoder(node: node.member("super"), codingPath: codingPath)
    }

    func superEncoder(forKey key: Key) -> any Encoder { encoder(key) }
}

private struct ArrayEncoder: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    private(set) var count = 0

    init(node: EncodingNode, codingPath: [any CodingKey]) {
        self.node = node
        self.codingPath = codingPath
    }

    private mutating func encoder() -> ValueEncoder {
        defer { count += 1 }
        return ValueEncoder(node: node.appended(), codingPath: codingPath + [IndexKey(intValue: count)])
    }

    mutating func encodeNil() { encoder().encodeNil() }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder().encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        encoder().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { encoder().unkeyedContainer() }

    mutating func superEncoder() -> any Encoder { encoder() }
}
