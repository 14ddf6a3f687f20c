package import W3CTraceContext

/// `ExportTraceServiceRequest` (opentelemetry-proto, `collector/trace/v1`) in the
/// protobuf wire format, as OTLP/HTTP's `application/x-protobuf` carries it. Field
/// numbers are the proto files' own.
///
/// Spans are encoded once, when they end (``SpanWriter``), straight from the values at
/// hand: no span value is built, queued, copied and walked again at export time. The
/// exporter queues the encoded bytes and wraps a batch of them in the request's
/// envelope (``Envelope``), written once per host.
package enum OTLPTraceEncoding {
    /// The instrumentation scope every span of the host carries.
    package static let scopeName = "healthhost"

    /// An attribute value OTLP can carry.
    package enum Value: Sendable, Equatable {
        case string(String)
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case strings([String])
    }

    /// What `SpanKind` is in OTLP.
    package enum Kind: UInt64, Sendable {
        case `internal` = 1
        case server = 2
        case client = 3
        case producer = 4
        case consumer = 5
    }

    /// The resource and the scope, encoded once; ``request(spans:)`` puts encoded spans
    /// inside them.
    package struct Envelope: Sendable {
        private let resource: [UInt8]
        private let scope: [UInt8]

        package init(resource attributes: [(key: String, value: Value)], scopeVersion: String) {
            var resource = ProtobufWriter()
            // Resource.attributes = 1
            for attribute in attributes { resource.messageField(1) { $0.keyValue(attribute.key, attribute.value) } }
            self.resource = resource.bytes
            var scope = ProtobufWriter()
            scope.stringField(1, OTLPTraceEncoding.scopeName)  // InstrumentationScope.name
            scope.stringField(2, scopeVersion)  // InstrumentationScope.version
            self.scope = scope.bytes
        }

        /// `ExportTraceServiceRequest { resource_spans = 1 { scope_spans = 2 { spans = 2 ...,
        /// scope = 1 }, resource = 1 } }` with `spans` in it, encoded into `storage` (which
        /// keeps its capacity from one export to the next); the request is `storage[start...]`.
        /// The spans are written first and the two headers before them afterwards, into room
        /// left for them (protobuf fields may come in any order): the batch is encoded once,
        /// in place, in memory used again.
        package func request(spans: PendingSpans, into storage: inout [UInt8]) -> Int {
            let room = 2 * (1 + ProtobufWriter.varintSize(Int(UInt32.max)))  // two headers at most
            var taken: [UInt8] = []
            swap(&taken, &storage)
            var writer = SpanWriter(continuing: ProtobufWriter(reusing: consume taken), reserving: room + spans.count * 200)
            writer.protobuf.appendZeros(room)
            spans.write(into: &writer)
            writer.protobuf.lengthDelimitedHeader(1, length: scope.count)  // ScopeSpans.scope
            writer.protobuf.append(encoded: scope)
            let scopeSpans = writer.protobuf.bytes.count - room
            writer.protobuf.lengthDelimitedHeader(1, length: resource.count)  // ResourceSpans.resource
            writer.protobuf.append(encoded: resource)
            let resourceSpans = writer.protobuf.bytes.count - room
            // In place (a copy of the writer would make its bytes shared, and the first
            // header byte would copy the batch).
            let scopeStart = writer.protobuf.lengthDelimitedHeader(2, length: scopeSpans, endingAt: room)  // scope_spans
            let start = writer.protobuf.lengthDelimitedHeader(
                1, length: resourceSpans + (room - scopeStart), endingAt: scopeStart)  // resource_spans
            storage = writer.protobuf.takeBytes()
            return start
        }
    }
}

/// Encodes finished spans as `ScopeSpans.spans` fields, ready for the exporter's queue.
package struct SpanWriter {
    /// What is written so far (``SpanWriter/record(_:)`` writes to it directly).
    package var protobuf = ProtobufWriter()
    /// Spans written.
    package var count = 0

    package init(reserving spans: Int = 1) { protobuf.reserve(spans * 200) }

    /// Spans written after what `writer` holds, with room for `bytes` more.
    package init(continuing writer: ProtobufWriter, reserving bytes: Int) {
        protobuf = writer
        protobuf.reserve(bytes)
    }

    /// Adds the spans `other` wrote.
    package mutating func append(_ other: SpanWriter) {
        protobuf.append(encoded: other.protobuf.bytes)
        count += other.count
    }

    /// One `Span`; `name` is `namePrefix` followed by `name` (`check ` + the check's
    /// name, without building the string). `attributes` writes the span's attributes
    /// with ``ProtobufWriter/attribute(_:_:)-(String,String)``.
    package mutating func span(
        traceID: TraceID, spanID: SpanID, parentSpanID: SpanID?, traceState: String?, namePrefix: String = "",
        name: String, kind: OTLPTraceEncoding.Kind, start: UInt64, end: UInt64,
        status: (isError: Bool, message: String)?, attributes: (inout ProtobufWriter) -> Void
    ) {
        span(traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, traceState: traceState, start: start, end: end, status: status) {
            span in
            span.stringField(5, namePrefix, name)  // name
            span.varintField(6, kind.rawValue)  // kind
            attributes(&span)  // attributes = 9
        }
    }

    /// One `Span` whose name, kind and attributes `fields` writes.
    package mutating func span(
        traceID: TraceID, spanID: SpanID, parentSpanID: SpanID?, traceState: String?, start: UInt64, end: UInt64,
        status: (isError: Bool, message: String)?, fields: (inout ProtobufWriter) -> Void
    ) {
        count += 1
        protobuf.messageField(2) { span in  // ScopeSpans.spans = 2
            span.rawBytesField(1, traceID.bytes)  // trace_id
            span.rawBytesField(2, spanID.bytes)  // span_id
            if let traceState, !traceState.isEmpty { span.stringField(3, traceState) }  // trace_state
            if let parentSpanID { span.rawBytesField(4, parentSpanID.bytes) }  // parent_span_id
            span.fixed64Field(7, start)  // start_time_unix_nano
            span.fixed64Field(8, max(start, end))  // end_time_unix_nano
            fields(&span)  // name = 5, kind = 6, attributes = 9
            if let status {
                span.messageField(15) { message in  // status
                    if !status.message.isEmpty { message.stringField(2, status.message) }  // message
                    message.varintField(3, status.isError ? 2 : 1)  // code: OK 1, ERROR 2
                }
            }
        }
    }
}

extension ProtobufWriter {
    /// `Span.attributes` (9): `KeyValue { key = 1, value = 2 { string_value = 1 } }`.
    package mutating func attribute(_ key: String, _ value: String) {
        messageField(9) { $0.keyValue(key, .string(value)) }
    }

    /// A boolean attribute (`bool_value = 2`).
    package mutating func attribute(_ key: String, _ value: Bool) {
        messageField(9) { $0.keyValue(key, .bool(value)) }
    }

    /// An integer attribute (`int_value = 3`).
    package mutating func attribute(_ key: String, _ value: Int64) {
        messageField(9) { $0.keyValue(key, .int(value)) }
    }

    /// Any attribute value.
    package mutating func attribute(_ key: String, value: OTLPTraceEncoding.Value) {
        messageField(9) { $0.keyValue(key, value) }
    }

    /// `KeyValue { key = 1, value = 2 }` with `AnyValue`'s oneof.
    package mutating func keyValue(_ key: String, _ value: OTLPTraceEncoding.Value) {
        stringField(1, key)
        messageField(2) { anyValue in
            switch value {
            case .string(let text): anyValue.stringField(1, text)  // string_value
            case .bool(let flag): anyValue.boolField(2, flag)  // bool_value
            case .int(let number): anyValue.int64Field(3, number)  // int_value
            case .double(let number): anyValue.doubleField(4, number)  // double_value
            case .strings(let texts):  // array_value = 5 { ArrayValue.values = 1 }
                anyValue.messageField(5) { array in
                    for text in texts { array.messageField(1) { $0.stringField(1, text) } }
                }
            }
        }
    }
}
