import NIOCore

/// Sits in front of NIOHTTP1's request decoder and watches the raw bytes of each
/// request line, so that an overlong one is answered 414 after `maxRequestLine` bytes
/// instead of being buffered up to the decoder's own limit (where it would only get a
/// parser error). It tells the connection handler when bytes arrive (its state machine
/// then starts the header timeout of a new head, and says whether they begin a new
/// request). It parses nothing: it looks for the first line feed of each request.
final class RequestHeadGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Sent up the pipeline once the request line has grown past the limit.
    struct RequestLineTooLong {
        let bytesSeen: Int
        /// The method, as far as it arrived.
        let method: String
        /// The start of the request target (at most 256 bytes), for the request log.
        let targetStart: String
    }

    /// The handler behind the decoder, on the same event loop.
    private let connection: HTTPConnectionHandler
    private let maxRequestLine: Int
    private var lineBytes = 0
    private var inRequestLine = true
    private var refused = false
    /// The first bytes of a request line that did not arrive in one read.
    private var lineStart: [UInt8] = []

    init(connection: HTTPConnectionHandler, maxRequestLine: Int) {
        self.connection = connection
        self.maxRequestLine = maxRequestLine
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        let buffer = unwrapInboundIn(data)
        if connection.bytesArrived(context: context) {
            inRequestLine = true
            lineBytes = 0
            lineStart.removeAll()
        }
        if inRequestLine {
            let bytes = buffer.readableBytesView
            if let lineFeed = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                lineBytes += lineFeed - bytes.startIndex
                inRequestLine = false
            } else {
                lineBytes += bytes.count
                if lineStart.count < 300 { lineStart += bytes.prefix(300 - lineStart.count) }
            }
            if lineBytes > maxRequestLine {
                if lineStart.isEmpty { lineStart = Array(bytes.prefix(300)) }
                refused = true
                context.fireUserInboundEventTriggered(refusal())
                return
            }
        }
        context.fireChannelRead(data)
    }

    private func refusal() -> RequestLineTooLong {
        let text = String(decoding: lineStart, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        return RequestLineTooLong(
            bytesSeen: lineBytes, method: parts.first.map(String.init) ?? "",
            targetStart: parts.count > 1 ? String(parts[1].prefix(256)) : "")
    }
}
