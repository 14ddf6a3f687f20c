public import HealthOTLP
public import Tracing

extension EncodedSpanFields {
    /// The name, kind and attributes of spans that all have them (a route's server spans).
    public init(name: String, kind: SpanKind, attributes: [(key: String, value: SpanAttribute)]) {
        self.init(name: name, kind: OTLPTraceEncoding.Kind(kind)) { writer in
            for (key, value) in attributes { writer.attribute(key, value: OTLPTraceEncoding.Value(value)) }
        }
    }
}

extension OTLPTraceEncoding.Kind {
    /// What `kind` is in OTLP.
    init(_ kind: SpanKind) {
        switch kind {
        case .server: self = .server
        case .client: self = .client
        case .producer: self = .producer
        case .consumer: self = .consumer
        case .internal: self = .internal
        }
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
