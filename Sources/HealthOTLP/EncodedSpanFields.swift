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

    package init(bytes: [UInt8]) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        storage.copyBytes(from: bytes)
        start = UnsafeSendableBytes(UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count]))
    }

    /// A span's `name` and `kind` followed by `attributes`: all that is constant about the
    /// spans of a route or a check.
    package init(name: String, kind: OTLPTraceEncoding.Kind, _ attributes: (inout ProtobufWriter) -> Void) {
        self.init { writer in
            writer.stringField(5, name)  // Span.name
            writer.varintField(6, kind.rawValue)  // Span.kind
            attributes(&writer)
        }
    }

    /// Encodes with `body` (``ProtobufWriter/attribute(_:_:)-(String,String)`` and the others).
    package init(_ body: (inout ProtobufWriter) -> Void) {
        var writer = ProtobufWriter()
        body(&writer)
        self.init(bytes: writer.bytes)
    }

    /// The encoded fields.
    package var bytes: UnsafeRawBufferPointer { start.bytes }
}

/// Bytes that are never freed nor written after they are made.
private struct UnsafeSendableBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
}
