import W3CTraceContext

/// A finished span of the request pipeline as plain values, to be encoded when its batch
/// is exported: ids, times, and the encoded fields it shares with every span of its route
/// or check (``EncodedSpanFields``), plus up to three pre-encoded varying attributes.
///
/// Recording one is a copy of these bytes into the current thread's shard of the export
/// queue (``SpanExporter``); the protobuf encoding, a lock shared by the event loops and a
/// buffer per request are no longer on the request's path. Plain bytes, nothing reference
/// counted: copying and freeing records is copying and freeing memory. (A span carrying
/// the caller's `tracestate`, rare, is encoded when it ends instead:
/// ``SpanWriter/record(_:traceState:)``.)
struct SpanRecord: Sendable {
    var traceID: TraceID
    var spanID: SpanID
    var parentSpanID: SpanID?
    var start: UInt64
    var end: UInt64
    /// Name, kind and constant attributes.
    var fields: EncodedSpanFields
    /// Attributes whose few values are encoded in advance (``CheckSpanAttributes``,
    /// ``HTTPStatusCodeAttribute``).
    var varying: (EncodedSpanFields, EncodedSpanFields, EncodedSpanFields) = (.none, .none, .none)
    /// Whether the span's status is ERROR (else unset).
    var isError = false
}

/// `http.response.status_code` for each code an HTTP response can have (100–599),
/// encoded once.
enum HTTPStatusCodeAttribute {
    private static let table = (100...599).map { code in
        EncodedSpanFields { $0.attribute("http.response.status_code", Int64(code)) }
    }

    /// The attribute for `code`; `nil` outside 100–599.
    static func encoded(_ code: Int) -> EncodedSpanFields? {
        (100...599).contains(code) ? table[code - 100] : nil
    }
}

extension SpanWriter {
    /// The span `record` describes, with the `tracestate` `traceState` (none when empty).
    /// Its length is worked out first, so the message is written straight through (no
    /// length byte to widen afterwards, which moves the span), its fixed fields by the
    /// writer and its encoded fields with one copy each.
    mutating func record(_ record: SpanRecord, traceState: String = "") {
        var traceState = traceState
        traceState.withUTF8 { state in
            let varying = (record.varying.0.bytes, record.varying.1.bytes, record.varying.2.bytes)
            let length =
                18 + 10 + (record.parentSpanID == nil ? 0 : 10) + 18  // ids (tag, length, bytes); two fixed64 times
                + (state.isEmpty ? 0 : 1 + ProtobufWriter.varintSize(state.count) + state.count)
                + record.fields.bytes.count + varying.0.count + varying.1.count + varying.2.count
                + (record.isError ? Self.errorStatus.count : 0)
            Self.writeFixedFields(of: record, spanLength: length, into: &protobuf)
            if !state.isEmpty {
                protobuf.lengthDelimitedHeader(3, length: state.count)  // trace_state
                protobuf.append(encoded: UnsafeRawBufferPointer(state))
            }
            protobuf.append(encoded: record.fields.bytes)
            protobuf.append(encoded: varying.0)
            protobuf.append(encoded: varying.1)
            protobuf.append(encoded: varying.2)
            if record.isError { protobuf.append(encoded: Self.errorStatus) }
        }
        count += 1
    }

    /// The span's header (`ScopeSpans.spans`, `spanLength`), ids and times, written on the
    /// stack and appended at once: appended field by field they were six capacity checks
    /// and copies per span, the most of what encoding a batch cost.
    private static func writeFixedFields(of record: SpanRecord, spanLength: Int, into protobuf: inout ProtobufWriter) {
        // At most 11 (tag, a length's varint) + 18 + 10 + 10 + 9 + 9 = 67 bytes.
        withUnsafeTemporaryAllocation(byteCount: 80, alignment: 8) { buffer in
            var at = 0
            func byte(_ value: UInt8) {
                buffer[at] = value
                at += 1
            }
            func key(_ field: Int, _ type: ProtobufWriter.WireType) { ProtobufWriter.varint(ProtobufWriter.key(field, type), byte) }
            func raw<Value>(_ value: Value) {
                withUnsafeBytes(of: value) { bytes in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[at..<(at + bytes.count)]).copyMemory(from: bytes)
                    at += bytes.count
                }
            }
            func bytesField<Value>(_ field: Int, _ value: Value) {
                key(field, .lengthDelimited)
                byte(UInt8(MemoryLayout<Value>.size))
                raw(value)
            }
            key(2, .lengthDelimited)  // ScopeSpans.spans
            ProtobufWriter.varint(UInt64(spanLength), byte)
            bytesField(1, record.traceID.bytes)  // trace_id
            bytesField(2, record.spanID.bytes)  // span_id
            if let parent = record.parentSpanID { bytesField(4, parent.bytes) }  // parent_span_id
            key(7, .fixed64)  // start_time_unix_nano
            raw(record.start.littleEndian)
            key(8, .fixed64)  // end_time_unix_nano
            raw(max(record.start, record.end).littleEndian)
            protobuf.append(encoded: UnsafeRawBufferPointer(rebasing: buffer[0..<at]))
        }
    }

    /// `status = 15 { code = 3: ERROR }`.
    private static let errorStatus: [UInt8] = [0x7A, 0x02, 0x18, 0x02]
}
