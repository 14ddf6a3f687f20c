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
    /// The span `record` describes, with the `tracestate` `traceState` (none when empty),
    /// its length worked out first: the fixed part (tag, length, ids, times) goes in with
    /// one copy, the encoded fields with one each.
    mutating func record(_ record: SpanRecord, traceState: String = "") {
        var traceState = traceState
        traceState.withUTF8 { state in
            let varying = (record.varying.0.bytes, record.varying.1.bytes, record.varying.2.bytes)
            let length =
                18 + 10 + (record.parentSpanID == nil ? 0 : 10) + 18
                + (state.isEmpty ? 0 : 1 + ProtobufWriter.varintSize(state.count) + state.count)
                + record.fields.bytes.count + varying.0.count + varying.1.count + varying.2.count
                + (record.isError ? Self.errorStatus.count : 0)
            withUnsafeTemporaryAllocation(byteCount: 96, alignment: 8) { buffer in
                var fixed = FixedWriter(buffer)
                fixed.byte(0x12)  // ScopeSpans.spans = 2, length-delimited
                fixed.varint(UInt64(length))
                fixed.byte(0x0A)  // trace_id = 1
                fixed.byte(16)
                withUnsafeBytes(of: record.traceID.bytes) { fixed.bytes($0) }
                fixed.byte(0x12)  // span_id = 2
                fixed.byte(8)
                withUnsafeBytes(of: record.spanID.bytes) { fixed.bytes($0) }
                if let parent = record.parentSpanID {
                    fixed.byte(0x22)  // parent_span_id = 4
                    fixed.byte(8)
                    withUnsafeBytes(of: parent.bytes) { fixed.bytes($0) }
                }
                fixed.byte(0x39)  // start_time_unix_nano = 7, fixed64
                withUnsafeBytes(of: record.start.littleEndian) { fixed.bytes($0) }
                fixed.byte(0x41)  // end_time_unix_nano = 8, fixed64
                withUnsafeBytes(of: max(record.start, record.end).littleEndian) { fixed.bytes($0) }
                protobuf.append(encoded: fixed.written)
            }
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

    /// `status = 15 { code = 3: ERROR }`.
    private static let errorStatus: [UInt8] = [0x7A, 0x02, 0x18, 0x02]
}

/// Writes a few bytes into a stack buffer the caller sized.
private struct FixedWriter {
    private let buffer: UnsafeMutableRawBufferPointer
    private var count = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    mutating func byte(_ value: UInt8) {
        buffer[count] = value
        count += 1
    }

    mutating func bytes(_ value: UnsafeRawBufferPointer) {
        UnsafeMutableRawBufferPointer(rebasing: buffer[count..<(count + value.count)]).copyMemory(from: value)
        count += value.count
    }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            byte(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        byte(UInt8(value))
    }

    var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }
}
