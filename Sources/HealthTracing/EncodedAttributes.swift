import Tracing

/// Span attributes encoded once, for spans that carry the same ones again and again
/// (a route's method, route and path; a check's name, plugin and source): writing them
/// is a copy of their bytes.
public struct EncodedAttributes: Sendable {
    let bytes: [UInt8]

    /// No attributes.
    public static let none = EncodedAttributes(bytes: [])

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// `attributes`, encoded in this order.
    public init(_ attributes: [(key: String, value: SpanAttribute)]) {
        var writer = ProtobufWriter()
        for (key, value) in attributes { writer.attribute(key, value: OTLPTraceEncoding.Value(value)) }
        bytes = writer.bytes
    }

    /// Encodes with `body` (``ProtobufWriter/attribute(_:_:)-(String,String)`` and the others).
    init(_ body: (inout ProtobufWriter) -> Void) {
        var writer = ProtobufWriter()
        body(&writer)
        bytes = writer.bytes
    }
}

extension OTLPTraceEncoding.Value {
    /// The OTLP value of a swift-distributed-tracing attribute.
    init(_ attribute: SpanAttribute) {
        switch attribute {
        case .string(let text): self = .string(text)
        case .bool(let flag): self = .bool(flag)
        case .int32(let number): self = .int(Int64(number))
        case .int64(let number): self = .int(number)
        case .double(let number): self = .double(number)
        case .stringArray(let texts): self = .strings(texts)
        case .stringConvertible(let convertible): self = .string(convertible.description)
        default: self = .string("\(attribute)")
        }
    }
}
