import NIOCore
import NIOHTTP1

/// What a response says about its connection.
enum ConnectionDisposition {
    /// HTTP/1.1 keep-alive: nothing to say.
    case keepAlive
    /// An HTTP/1.0 client asked for keep-alive: `Connection: keep-alive`.
    case keepAliveHTTP10
    /// The connection closes after this response: `Connection: close`.
    case close
}

/// Writes responses as HTTP/1.1 bytes, straight into one buffer: the status line, the
/// headers (less any `Content-Length` and `Connection`, which it writes itself), then the
/// body unless the request was HEAD. A header whose name or value holds CR, LF or NUL is
/// left out, so no response can be split (configured headers are refused at load).
enum ResponseEncoder {
    /// The bytes of `response`.
    static func encode(
        _ response: HTTPResponse, connection: ConnectionDisposition, isHead: Bool, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        if connection == .keepAlive, let encoded = response.preencoded {
            return isHead ? encoded.head : encoded.full
        }
        let bodyBytes = isHead ? 0 : response.body.readableBytes
        var buffer = allocator.buffer(capacity: 256 + bodyBytes)
        writeHead(response, connection: connection, into: &buffer)
        if !isHead { buffer.writeImmutableBuffer(response.body) }
        return buffer
    }

    static func writeHead(_ response: HTTPResponse, connection: ConnectionDisposition, into buffer: inout ByteBuffer) {
        // One pass to size the head, one unchecked copy per part: writing part by part
        // through ByteBuffer's checked API was 7 % of a cached /health/ request.
        let code = response.status.code
        let reason = response.status.reasonPhrase
        let length = response.body.readableBytes
        var size = 9 + (code < 1000 ? 3 : 20) + 1 + reason.utf8.count + 2
        for (name, value) in response.headers where Self.isWritten(name, value) {
            size += name.utf8.count + 2 + value.utf8.count + 2
        }
        size += 16 + 20 + 2
        switch connection {
        case .keepAlive: size += 2
        case .keepAliveHTTP10: size += 26
        case .close: size += 21
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            var out = HeadWriter(raw)
            out.append("HTTP/1.1 ")
            out.appendDecimal(code)
            out.append(" ")
            out.append(reason)
            out.append("\r\n")
            for (name, value) in response.headers where Self.isWritten(name, value) {
                out.append(name)
                out.append(": ")
                out.append(value)
                out.append("\r\n")
            }
            out.append("Content-Length: ")
            out.appendDecimal(UInt(length))
            switch connection {
            case .keepAlive: out.append("\r\n\r\n")
            case .keepAliveHTTP10: out.append("\r\nConnection: keep-alive\r\n\r\n")
            case .close: out.append("\r\nConnection: close\r\n\r\n")
            }
            return out.written
        }
    }

    /// Whether a header is written as it is: neither framing (written by the encoder)
    /// nor unsafe.
    @inline(__always)
    private static func isWritten(_ name: String, _ value: String) -> Bool {
        !isFramingHeader(name) && isSafe(name) && isSafe(value)
    }

    /// `Content-Length` and `Connection`, which the encoder writes itself.
    private static func isFramingHeader(_ name: String) -> Bool {
        let count = name.utf8.count
        guard count == 14 || count == 10 else { return false }
        let lowered = name.lowercased()
        return lowered == "content-length" || lowered == "connection"
    }

    /// Whether `text` can stand in a header: no CR, LF or NUL.
    static func isSafe(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }
    }
}

/// Copies text into a head buffer sized beforehand (by ``ResponseEncoder/writeHead``,
/// which counts every byte it will append).
private struct HeadWriter {
    private let base: UnsafeMutableRawBufferPointer
    private(set) var written = 0

    init(_ base: UnsafeMutableRawBufferPointer) { self.base = base }

    mutating func append(_ text: String) {
        let count = text.utf8.count
        guard written + count <= base.count else { return }
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard let source = bytes.baseAddress, let target = base.baseAddress else { return true }
            (target + written).copyMemory(from: source, byteCount: count)
            return true
        }
        if copied == nil {
            for (offset, byte) in text.utf8.enumerated() { base[written + offset] = byte }
        }
        written += count
    }

    mutating func appendDecimal(_ value: UInt) {
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        let start = written
        let fits = withUnsafeMutableBytes(of: &digits) { digitBytes -> Bool in
            repeat {
                digitBytes[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            guard start + count <= base.count else { return false }
            for index in 0..<count { base[start + index] = digitBytes[20 - count + index] }
            return true
        }
        if fits { written += count }
    }
}

/// A response encoded once as a keep-alive HTTP/1.1 answer, with and without its body
/// (for HEAD), and written by reference for every request.
final class EncodedResponse: Sendable {
    let full: ByteBuffer
    let head: ByteBuffer

    init(_ response: HTTPResponse) {
        var head = ByteBuffer()
        ResponseEncoder.writeHead(response, connection: .keepAlive, into: &head)
        var full = head
        full.writeImmutableBuffer(response.body)
        self.full = full
        self.head = head
    }
}
