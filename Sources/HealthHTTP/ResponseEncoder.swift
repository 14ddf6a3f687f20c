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
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(response.status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in response.headers where !isFramingHeader(name) && isSafe(name) && isSafe(value) {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("Content-Length: ")
        buffer.writeString(String(response.body.readableBytes))
        switch connection {
        case .keepAlive: buffer.writeStaticString("\r\n\r\n")
        case .keepAliveHTTP10: buffer.writeStaticString("\r\nConnection: keep-alive\r\n\r\n")
        case .close: buffer.writeStaticString("\r\nConnection: close\r\n\r\n")
        }
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
