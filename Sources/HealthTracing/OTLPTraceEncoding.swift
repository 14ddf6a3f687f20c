/// `ExportTraceServiceRequest` (opentelemetry-proto, `collector/trace/v1`) in the
/// protobuf wire format, as OTLP/HTTP's `application/x-protobuf` carries it. Field
/// numbers are the proto files' own.
enum OTLPTraceEncoding {
    /// The instrumentation scope every span of the host carries.
    static let scopeName = "healthhost"

    static func request(resource: [(key: String, value: FinishedSpan.Value)], scopeVersion: String, spans: [FinishedSpan])
        -> [UInt8]
    {
        var writer = ProtobufWriter()
        writer.reserve(256 + spans.count * 320)
        // ExportTraceServiceRequest.resource_spans = 1
        writer.messageField(1) { resourceSpans in
            // ResourceSpans.resource = 1 { Resource.attributes = 1 }
            resourceSpans.messageField(1) { resourceMessage in
                for attribute in resource { resourceMessage.messageField(1) { keyValue(&$0, attribute) } }
            }
            // ResourceSpans.scope_spans = 2
            resourceSpans.messageField(2) { scopeSpans in
                // ScopeSpans.scope = 1 { name = 1, version = 2 }
                scopeSpans.messageField(1) { scope in
                    scope.stringField(1, scopeName)
                    scope.stringField(2, scopeVersion)
                }
                // ScopeSpans.spans = 2
                for span in spans { scopeSpans.messageField(2) { encode(span, into: &$0) } }
            }
        }
        return writer.bytes
    }

    private static func encode(_ span: FinishedSpan, into writer: inout ProtobufWriter) {
        writer.rawBytesField(1, span.traceID.bytes)  // trace_id
        writer.rawBytesField(2, span.spanID.bytes)  // span_id
        if !span.traceState.isEmpty { writer.stringField(3, span.traceState) }  // trace_state
        if let parent = span.parentSpanID { writer.rawBytesField(4, parent.bytes) }  // parent_span_id
        writer.stringField(5, span.name)  // name
        writer.varintField(6, span.kind.rawValue)  // kind
        writer.fixed64Field(7, span.startNanoseconds)  // start_time_unix_nano
        writer.fixed64Field(8, span.endNanoseconds)  // end_time_unix_nano
        for attribute in span.attributes { writer.messageField(9) { keyValue(&$0, attribute) } }  // attributes
        if let status = span.status {
            writer.messageField(15) { message in  // status
                if !status.message.isEmpty { message.stringField(2, status.message) }  // message
                message.varintField(3, status.isError ? 2 : 1)  // code: OK 1, ERROR 2
            }
        }
    }

    /// `KeyValue { key = 1, value = 2 }` with `AnyValue`'s oneof.
    private static func keyValue(_ writer: inout ProtobufWriter, _ attribute: (key: String, value: FinishedSpan.Value)) {
        writer.stringField(1, attribute.key)
        writer.messageField(2) { anyValue(&$0, attribute.value) }
    }

    private static func anyValue(_ writer: inout ProtobufWriter, _ value: FinishedSpan.Value) {
        switch value {
        case .string(let text): writer.stringField(1, text)  // string_value
        case .bool(let flag): writer.boolField(2, flag)  // bool_value
        case .int(let number): writer.int64Field(3, number)  // int_value
        case .double(let number): writer.doubleField(4, number)  // double_value
        case .strings(let texts):  // array_value = 5 { ArrayValue.values = 1 }
            writer.messageField(5) { array in
                for text in texts { array.messageField(1) { $0.stringField(1, text) } }
            }
        }
    }
}
