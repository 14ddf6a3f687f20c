import HealthCore
import HealthJSON

/// The two messages of every call, `call` and `result`, in a fixed binary layout (JSON
/// coding was a third of a round trip); every other message is `J` and a JSON object.
///
/// `C` id:u64 binding:i64 (-1: none) timeout_ms:u32 check:str16 configured_name:str16
/// `R` id:u64 status:i32 has_value:u8 value:f64 message:str32 unit:str16
/// (little-endian; strN is an N-bit byte count and the UTF-8 bytes).
enum CompactFrame {
    static let json = UInt8(ascii: "J")
    static let call = UInt8(ascii: "C")
    static let result = UInt8(ascii: "R")

    /// The first byte of a packet, once it is known to be a packet at all.
    static func kind(of bytes: ArraySlice<UInt8>) throws(WorkerProtocolError) -> UInt8 {
        guard let first = bytes.first else { throw .empty }
        guard bytes.count <= WorkerProtocol.maximumBytes else { throw .oversized(bytes.count) }
        return first
    }

    /// `J` and the object's compact JSON text (keys sorted).
    static func json(_ fields: [String: JSONValue], type: String) throws(WorkerProtocolError) -> [UInt8] {
        var text = JSONText()
        text.value(.object(fields))
        let bytes = [json] + text.bytes
        guard bytes.count <= WorkerProtocol.maximumBytes else { throw .tooLarge(type: type, bytes: bytes.count) }
        return bytes
    }

    static func encode(_ request: CallRequest) throws(WorkerProtocolError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        out.append(call)
        append(UInt64(bitPattern: Int64(request.id)), to: &out)
        append(UInt64(bitPattern: Int64(request.binding ?? -1)), to: &out)
        let components = request.timeout.components
        append(UInt32(clamping: components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000), to: &out)
        try appendString(request.check, width: 2, to: &out, type: "call")
        try appendString(request.configuredName, width: 2, to: &out, type: "call")
        return try bounded(out, type: "call")
    }

    static func encode(id: Int, _ result: CheckResult) throws(WorkerProtocolError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + result.message.utf8.count)
        out.append(self.result)
        append(UInt64(bitPattern: Int64(id)), to: &out)
        append(UInt32(bitPattern: Int32(result.status.rawValue)), to: &out)
        out.append(result.observedValue == nil ? 0 : 1)
        append((result.observedValue ?? 0).bitPattern, to: &out)
        try appendString(result.message, width: 4, to: &out, type: "result")
        try appendString(result.observedUnit, width: 2, to: &out, type: "result")
        return try bounded(out, type: "result")
    }

    static func decodeCall(_ bytes: ArraySlice<UInt8>) throws(WorkerProtocolError) -> CallRequest {
        var reader = Reader(bytes: bytes.dropFirst(), type: "call")
        let id = try reader.integer(UInt64.self)
        let binding = Int64(bitPattern: try reader.integer(UInt64.self))
        let timeout = try reader.integer(UInt32.self)
        let check = try reader.string(width: 2)
        let configuredName = try reader.string(width: 2)
        try reader.end()
        return CallRequest(
            id: Int(truncatingIfNeeded: id), check: check, binding: binding < 0 ? nil : Int(binding),
            configuredName: configuredName, timeout: .milliseconds(Int(timeout)))
    }

    static func decodeResult(_ bytes: ArraySlice<UInt8>) throws(WorkerProtocolError) -> (Int, CheckResult) {
        var reader = Reader(bytes: bytes.dropFirst(), type: "result")
        let id = try reader.integer(UInt64.self)
        let rawStatus = Int32(bitPattern: try reader.integer(UInt32.self))
        let hasValue = try reader.integer(UInt8.self)
        let value = try reader.integer(UInt64.self)
        let message = try reader.string(width: 4)
        let unit = try reader.string(width: 2)
        try reader.end()
        guard let status = CheckStatus(rawValue: Int(rawStatus)) else {
            throw .invalidField(type: "result", field: "status", expected: "0, 1 or 2")
        }
        guard hasValue <= 1 else { throw .invalidField(type: "result", field: "has_value", expected: "0 or 1") }
        let result = CheckResult(
            status: status, message: message, observedValue: hasValue == 1 ? Double(bitPattern: value) : nil, observedUnit: unit)
        return (Int(truncatingIfNeeded: id), result)
    }

    private static func bounded(_ bytes: [UInt8], type: String) throws(WorkerProtocolError) -> [UInt8] {
        guard bytes.count <= WorkerProtocol.maximumBytes else { throw .tooLarge(type: type, bytes: bytes.count) }
        return bytes
    }

    private static func append<Integer: FixedWidthInteger>(_ value: Integer, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func appendString(_ text: String, width: Int, to out: inout [UInt8], type: String) throws(WorkerProtocolError) {
        let count = text.utf8.count
        if width == 2 {
            guard count <= Int(UInt16.max) else { throw .tooLarge(type: type, bytes: count) }
            append(UInt16(count), to: &out)
        } else {
            guard count <= WorkerProtocol.maximumBytes else { throw .tooLarge(type: type, bytes: count) }
            append(UInt32(count), to: &out)
        }
        out.append(contentsOf: text.utf8)
    }

    /// Reads the layout front to back; running out of bytes is ``WorkerProtocolError/truncated(type:)``.
    private struct Reader {
        var bytes: ArraySlice<UInt8>
        let type: String

        mutating func integer<Integer: FixedWidthInteger>(_: Integer.Type) throws(WorkerProtocolError) -> Integer {
            let size = MemoryLayout<Integer>.size
            guard bytes.count >= size else { throw .truncated(type: type) }
            var value: Integer = 0
            for (shift, byte) in bytes.prefix(size).enumerated() { value |= Integer(byte) << (8 * shift) }
            bytes = bytes.dropFirst(size)
            return value
        }

        mutating func string(width: Int) throws(WorkerProtocolError) -> String {
            let count = width == 2 ? Int(try integer(UInt16.self)) : Int(try integer(UInt32.self))
            guard bytes.count >= count else { throw .truncated(type: type) }
            let text = String(decoding: bytes.prefix(count), as: UTF8.self)
            bytes = bytes.dropFirst(count)
            return text
        }

        func end() throws(WorkerProtocolError) {
            guard bytes.isEmpty else { throw .trailingBytes(type: type, count: bytes.count) }
        }
    }
}
