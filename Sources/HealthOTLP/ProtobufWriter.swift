/// Writes protocol buffers in the binary wire format, field by field: all the OTLP
/// exporter needs (varints, fixed64, length-delimited strings, bytes and messages).
/// Write-only, for the fixed schema of `ExportTraceServiceRequest`; the tests decode
/// what it writes with the reference implementation (opentelemetry-proto's Python
/// classes).
package struct ProtobufWriter {
    package private(set) var bytes: [UInt8] = []

    /// An empty writer.
    package init() {}

    /// A writer appending to `storage` emptied (its capacity kept: the exporter encodes
    /// every batch into the same memory).
    package init(reusing storage: consuming [UInt8]) {
        bytes = consume storage  // moved, so that it is unique and keeps its memory when emptied
        bytes.removeAll(keepingCapacity: true)
    }

    package enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// The key (tag) of `field` with `type`, the varint that starts every field.
    package static func key(_ field: Int, _ type: WireType) -> UInt64 {
        UInt64(field) << 3 | UInt64(type.rawValue)
    }

    /// Gives `write` the bytes of `value` as a varint, in order: the one varint encoding,
    /// for this writer and for code writing fields into memory of its own
    /// (``SpanWriter/record(_:traceState:)``, which puts a span together on the stack).
    @inline(__always)
    package static func varint(_ value: UInt64, _ write: (UInt8) -> Void) {
        var value = value
        while value >= 0x80 {
            write(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        write(UInt8(value))
    }

    private mutating func tag(_ field: Int, _ type: WireType) {
        varint(Self.key(field, type))
    }

    private mutating func varint(_ value: UInt64) {
        if value < 0x80 {  // every tag and most lengths: one byte
            bytes.append(UInt8(value))
            return
        }
        Self.varint(value) { bytes.append($0) }
    }

    /// An unsigned or enum field (`uint32`, `uint64`, enums); zero is left out, as proto3 does.
    package mutating func varintField(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, .varint)
        varint(value)
    }

    /// An `int64` field (negative numbers take ten bytes, as the format says).
    package mutating func int64Field(_ field: Int, _ value: Int64) {
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    /// A `bool` field, written even when false (inside a oneof, false is a value).
    package mutating func boolField(_ field: Int, _ value: Bool) {
        tag(field, .varint)
        varint(value ? 1 : 0)
    }

    /// A `fixed64` field.
    package mutating func fixed64Field(_ field: Int, _ value: UInt64) {
        tag(field, .fixed64)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `fixed32` field.
    package mutating func fixed32Field(_ field: Int, _ value: UInt32) {
        tag(field, .fixed32)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `double` field.
    package mutating func doubleField(_ field: Int, _ value: Double) {
        fixed64Field(field, value.bitPattern)
    }

    /// A `bytes` field.
    package mutating func bytesField(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `bytes` field from a fixed-size value's memory (a trace or span id).
    package mutating func rawBytesField<Value>(_ field: Int, _ value: Value) {
        tag(field, .lengthDelimited)
        withUnsafeBytes(of: value) { raw in
            varint(UInt64(raw.count))
            bytes.append(contentsOf: raw)
        }
    }

    /// A `string` field (UTF-8).
    package mutating func stringField(_ field: Int, _ value: String) {
        // Straight from the string's UTF-8 (no intermediate array: one allocation less
        // per string, about ten a span).
        var value = value
        value.withUTF8 { utf8 in
            tag(field, .lengthDelimited)
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// A `string` field holding `first` followed by `second`.
    package mutating func stringField(_ field: Int, _ first: String, _ second: String) {
        guard !first.isEmpty else { return stringField(field, second) }
        var first = first
        var second = second
        first.withUTF8 { head in
            second.withUTF8 { tail in
                tag(field, .lengthDelimited)
                varint(UInt64(head.count + tail.count))
                bytes.append(contentsOf: head)
                bytes.append(contentsOf: tail)
            }
        }
    }

    /// An embedded message, written by `body` in place: one byte is kept for its length
    /// and, when the message turns out longer than 127 bytes, the few more its varint
    /// needs are inserted (no buffer per nested message: a span has a dozen).
    package mutating func messageField(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        tag(field, .lengthDelimited)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
            return
        }
        var extra = 0
        var rest = length >> 7
        while rest > 0 {
            extra += 1
            rest >>= 7
        }
        bytes.insert(contentsOf: repeatElement(0, count: extra), at: lengthAt + 1)
        var value = length
        for index in lengthAt...(lengthAt + extra) {
            bytes[index] = UInt8(value & 0x7F) | (index < lengthAt + extra ? 0x80 : 0)
            value >>= 7
        }
    }

    /// The tag and length of a length-delimited field whose `length` bytes the caller
    /// appends next (with ``append(encoded:)``).
    package mutating func lengthDelimitedHeader(_ field: Int, length: Int) {
        tag(field, .lengthDelimited)
        varint(UInt64(length))
    }

    /// Writes the tag and length of a length-delimited field so that they end just before
    /// `end` (room its caller left), and returns where they start.
    package mutating func lengthDelimitedHeader(_ field: Int, length: Int, endingAt end: Int) -> Int {
        var header = ProtobufWriter()
        header.lengthDelimitedHeader(field, length: length)
        let start = end - header.bytes.count
        // Byte by byte: replaceSubrange moved the whole batch behind them.
        for (offset, byte) in header.bytes.enumerated() { bytes[start + offset] = byte }
        return start
    }

    /// What was written, moved out (the writer is left empty).
    package mutating func takeBytes() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }

    /// Appends `count` zero bytes (room for a header written later).
    package mutating func appendZeros(_ count: Int) { bytes.append(contentsOf: repeatElement(0, count: count)) }

    /// Bytes already in the wire format (fields another writer wrote).
    package mutating func append(encoded: [UInt8]) { bytes.append(contentsOf: encoded) }

    /// Bytes already in the wire format, from memory the caller keeps alive.
    package mutating func append(encoded: UnsafeRawBufferPointer) { bytes.append(contentsOf: encoded) }

    /// How many bytes the varint of `value` takes.
    package static func varintSize(_ value: Int) -> Int {
        var size = 1
        var rest = UInt64(value) >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    /// How many bytes the tag of `field` takes (wire type included).
    package static func tagSize(_ field: Int) -> Int { varintSize(field << 3) }

    /// Reserves room for `count` more bytes.
    package mutating func reserve(_ count: Int) { bytes.reserveCapacity(bytes.count + count) }
}
