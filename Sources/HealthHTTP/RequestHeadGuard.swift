import NIOCore

/// What the connection handler and the guard in front of the decoder share about the
/// request head now arriving. Both live on the connection's event loop.
final class RequestHeadProgress {
    /// No request is in progress: the next bytes begin a new request head. Set by the
    /// handler at each request's end, cleared by the guard.
    var betweenRequests = true
    /// Bytes of the current head have arrived and the head is not complete yet: the
    /// handler starts the header timeout when a read ends in this state. Set by the
    /// guard, cleared by the handler when the head is decoded.
    var headIncomplete = false
}

/// Sits in front of NIOHTTP1's request decoder and watches the raw bytes of each
/// request line, so that an overlong one is answered 414 after `maxRequestLine` bytes
/// instead of being buffered up to the decoder's own limit (where it would only get a
/// parser error). It also tells the handler when a head begins, which starts the header
/// timeout. It parses nothing: it looks for the first line feed of each request.
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

    private let progress: RequestHeadProgress
    private let maxRequestLine: Int
    private var lineBytes = 0
    private var inRequestLine = true
    private var refused = false
    /// The first bytes of a request line that did not arrive in one read.
    private var lineStart: [UInt8] = []

    init(progress: RequestHeadProgress, maxRequestLine: Int) {
        self.progress = progress
        self.maxRequestLine = maxRequestLine
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        let buffer = unwrapInboundIn(data)
        if progress.betweenRequests {
            progress.betweenRequests = false
            progress.headIncomplete = true
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
