import Tracing

/// Fields of a span encoded once, for spans that carry the same ones again and again: a
/// route's server spans their name, kind, method, route and path; a check's spans their
/// name, kind, check name, plugin and source. Writing them is a copy of their bytes
/// (protobuf fields may come in any order, so they need not be contiguous in the span).
///
/// The bytes live for the whole process, outside Swift's reference counting: both event
/// loop threads copy the same attributes on every traced request, and retaining and
/// releasing a shared array there bounced its reference count's cache line between the
/// cores (retain/release were the largest part of a traced request's extra CPU). Make
/// them once, at start-up, for attributes that a process needs again and again.
public struct EncodedSpanFields: Sendable {
    private let start: UnsafeSendableBytes

    /// No fields.
    public static let none = EncodedSpanFields(bytes: [])

    init(bytes: [UInt8]) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        storage.copyBytes(from: bytes)
        start = UnsafeSendableBytes(UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count]))
    }

    /// The name, kind and attributes of spans that all have them (a route's server spans).
    public init(name: String, kind: SpanKind, attributes: [(key: String, value: SpanAttribute)]) {
        self.init(name: name, kind: OTLPTraceEncoding.Kind(kind)) { writer in
            for (key, value) in attributes { writer.attribute(key, value: OTLPTraceEncoding.Value(value)) }
        }
    }

    /// A span's `name` and `kind` followed by `attributes`: all that is constant about the
    /// spans of a route or a check.
    init(name: String, kind: OTLPTraceEncoding.Kind, _ attributes: (inout ProtobufWriter) -> Void) {
        self.init { writer in
            writer.stringField(5, name)  // Span.name
            writer.varintField(6, kind.rawValue)  // Span.kind
            attributes(&writer)
        }
    }

    /// Encodes with `body` (``ProtobufWriter/attribute(_:_:)-(String,String)`` and the others).
    init(_ body: (inout ProtobufWriter) -> Void) {
        var writer = ProtobufWriter()
        body(&writer)
        self.init(bytes: writer.bytes)
    }

    /// The encoded fields.
    var bytes: UnsafeRawBufferPointer { start.bytes }
}

/// Bytes that are never freed nor written after they are made.
private struct UnsafeSendableBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
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
