package import W3CTraceContext

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
package struct SpanRecord: Sendable {
    package var traceID: TraceID
    package var spanID: SpanID
    package var parentSpanID: SpanID?
    package var start: UInt64
    package var end: UInt64
    /// Name, kind and constant attributes.
    package var fields: EncodedSpanFields
    /// Attributes whose few values are encoded in advance (a check's status, cached and
    /// timed-out flags; the server span's HTTP status code).
    package var varying: (EncodedSpanFields, EncodedSpanFields, EncodedSpanFields) = (.none, .none, .none)
    /// Whether the span's status is ERROR (else unset).
    package var isError = false

    /// A span of `traceID` with these ids, times (Unix nanoseconds) and fields.
    package init(
        traceID: TraceID, spanID: SpanID, parentSpanID: SpanID?, start: UInt64, end: UInt64, fields: EncodedSpanFields,
        varying: (EncodedSpanFields, EncodedSpanFields, EncodedSpanFields) = (.none, .none, .none), isError: Bool = false
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.start = start
        self.end = end
        self.fields = fields
        self.varying = varying
        self.isError = isError
    }
}

extension SpanWriter {
    /// The span `record` describes, with the `tracestate` `traceState` (none when empty).
    /// Its length is worked out first, and the whole span (header, ids, times, tracestate,
    /// encoded fields) is put together in memory on the stack and appended with one copy:
    /// appended field by field they were eight capacity checks, uniqueness checks and
    /// copies per span, most of what encoding a batch cost.
    package mutating func record(_ record: SpanRecord, traceState: String = "") {
        var traceState = traceState
        traceState.withUTF8 { state in
            let varying = (record.varying.0.bytes, record.varying.1.bytes, record.varying.2.bytes)
            let traceStateLength = state.isEmpty ? 0 : 1 + ProtobufWriter.varintSize(state.count) + state.count
            let length =
                18 + 10 + (record.parentSpanID == nil ? 0 : 10) + 18  // ids (tag, length, bytes); two fixed64 times
                + traceStateLength + record.fields.bytes.count + varying.0.count + varying.1.count + varying.2.count
                + (record.isError ? Self.errorStatus.count : 0)
            // The span's tag and length take at most 1 + 10 bytes.
            withUnsafeTemporaryAllocation(byteCount: 11 + length, alignment: 8) { buffer in
                var span = StackWriter(buffer)
                span.key(2, .lengthDelimited)  // ScopeSpans.spans
                span.varint(UInt64(length))
                span.bytesField(1, record.traceID.bytes)  // trace_id
                span.bytesField(2, record.spanID.bytes)  // span_id
                if let parent = record.parentSpanID { span.bytesField(4, parent.bytes) }  // parent_span_id
                span.key(7, .fixed64)  // start_time_unix_nano
                span.raw(record.start.littleEndian)
                span.key(8, .fixed64)  // end_time_unix_nano
                span.raw(max(record.start, record.end).littleEndian)
                if !state.isEmpty {
                    span.key(3, .lengthDelimited)  // trace_state
                    span.varint(UInt64(state.count))
                    span.copy(UnsafeRawBufferPointer(state))
                }
                span.copy(record.fields.bytes)
                span.copy(varying.0)
                span.copy(varying.1)
                span.copy(varying.2)
                if record.isError { Self.errorStatus.withUnsafeBytes { span.copy($0) } }
                protobuf.append(encoded: UnsafeRawBufferPointer(rebasing: buffer[0..<span.count]))
            }
        }
        count += 1
    }

    /// `status = 15 { code = 3: ERROR }`.
    private static let errorStatus: [UInt8] = [0x7A, 0x02, 0x18, 0x02]
}

/// Writes protocol buffer fields into memory of the caller's (a span put together on the
/// stack), which has room for them: no capacity or uniqueness checks per byte.
private struct StackWriter {
    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written.
    private(set) var count = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    mutating func byte(_ value: UInt8) {
        buffer[count] = value
        count += 1
    }

    mutating func varint(_ value: UInt64) { ProtobufWriter.varint(value) { byte($0) } }

    mutating func key(_ field: Int, _ type: ProtobufWriter.WireType) { varint(ProtobufWriter.key(field, type)) }

    /// The bytes of `value` as they are in memory (little-endian numbers, id bytes).
    mutating func raw<Value>(_ value: Value) {
        withUnsafeBytes(of: value) { copy($0) }
    }

    /// A `bytes` field holding `value`'s bytes (an id: at most 16).
    mutating func bytesField<Value>(_ field: Int, _ value: Value) {
        key(field, .lengthDelimited)
        byte(UInt8(MemoryLayout<Value>.size))
        raw(value)
    }

    mutating func copy(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        UnsafeMutableRawBufferPointer(rebasing: buffer[count..<(count + bytes.count)]).copyMemory(from: bytes)
        count += bytes.count
    }
}
