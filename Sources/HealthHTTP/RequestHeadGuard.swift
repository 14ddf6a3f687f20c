import NIOCore
import NIOHTTP1

/// NIOHTTP1's request decoder with a watch on the raw bytes of each request line in
/// front of it, as one decoder (one `ChannelHandler` per connection instead of two:
/// every probe opens a connection, and each handler costs a context, a class and a
/// hop per read). An overlong request line is answered 414 after `maxRequestLine`
/// bytes instead of being buffered up to the decoder's own limit (where it would only
/// get a parser error). It tells the connection handler when bytes arrive (its state
/// machine then starts the header timeout of a new head, and says whether they begin a
/// new request). It parses nothing itself: it looks for the first line feed of each
/// request.
struct RequestHeadGuard: ByteToMessageDecoder {
    typealias InboundOut = HTTPServerRequestPart

    /// Sent up the pipeline once the request line has grown past the limit.
    struct RequestLineTooLong {
        let bytesSeen: Int
        /// The method, as far as it arrived.
        let method: String
        /// The start of the request target (at most 256 bytes), for the request log.
        let targetStart: String
    }

    private let decoder: HTTPRequestDecoder
    /// The handler behind the decoder, on the same event loop.
    private let connection: HTTPConnectionHandler
    private let maxRequestLine: Int
    private var lineBytes = 0
    private var inRequestLine = true
    private var refused = false
    /// The first bytes of a request line that did not arrive in one read.
    private var lineStart: [UInt8] = []
    /// Bytes the decoder left in the buffer last time: what is beyond them arrived since.
    private var seenBytes = 0

    init(decoder: HTTPRequestDecoder, connection: HTTPConnectionHandler, maxRequestLine: Int) {
        self.decoder = decoder
        self.connection = connection
        self.maxRequestLine = maxRequestLine
    }

    func decoderAdded(context: ChannelHandlerContext) {
        decoder.decoderAdded(context: context)
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        decoder.decoderRemoved(context: context)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard watch(context: context, buffer: &buffer) else { return .needMoreData }
        defer { seenBytes = buffer.readableBytes }
        return try decoder.decode(context: context, buffer: &buffer)
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        if !watch(context: context, buffer: &buffer) { buffer.moveReaderIndex(to: buffer.writerIndex) }
        defer { seenBytes = buffer.readableBytes }
        return try decoder.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }

    /// Looks at the bytes that arrived since the last call: whether the decoder may have
    /// them (false once the request line is refused: what follows is dropped).
    private mutating func watch(context: ChannelHandlerContext, buffer: inout ByteBuffer) -> Bool {
        if refused {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return false
        }
        let arrived = buffer.readableBytes - seenBytes
        guard arrived > 0 else { return true }
        if connection.bytesArrived(context: context) {
            inRequestLine = true
            lineBytes = 0
            lineStart.removeAll()
        }
        guard inRequestLine else { return true }
        let bytes = buffer.readableBytesView.suffix(arrived)
        if let lineFeed = bytes.firstIndex(of: UInt8(ascii: "\n")) {
            lineBytes += lineFeed - bytes.startIndex
            inRequestLine = false
        } else {
            lineBytes += bytes.count
            if lineStart.count < 300 { lineStart += bytes.prefix(300 - lineStart.count) }
        }
        guard lineBytes > maxRequestLine else { return true }
        if lineStart.isEmpty { lineStart = Array(bytes.prefix(300)) }
        refused = true
        buffer.moveReaderIndex(to: buffer.writerIndex)
        seenBytes = 0
        context.fireUserInboundEventTriggered(refusal())
        return false
    }

    private func refusal() -> RequestLineTooLong {
        let text = String(decoding: lineStart, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        return RequestLineTooLong(
            bytesSeen: lineBytes, method: parts.first.map(String.init) ?? "",
            targetStart: parts.count > 1 ? String(parts[1].prefix(256)) : "")
    }
}
