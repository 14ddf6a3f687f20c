import NIOCore
import NIOHTTP1

/// Serves one connection behind NIOHTTP1's request decoder: answers each request from
/// its head (no endpoint reads a body), writes responses as bytes in request order (a
/// queue holds answers that wait on the engine while later ones are ready), stops
/// reading while too much waits to be sent, and times every phase of the connection
/// (see ``HTTPServerConfiguration``).
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// One answer in request order: its bytes once they are ready.
    private struct Slot {
        var bytes: ByteBuffer?
        var closesConnection: Bool
    }

    private let responder: any HTTPResponder
    private let configuration: HTTPServerConfiguration
    private let accessLog: AccessLog?
    private let progress: RequestHeadProgress
    private var context: ChannelHandlerContext?

    private var queue = CircularBuffer<Slot>(initialCapacity: 4)
    /// The sequence number of `queue.first`.
    private var firstSequence = 0
    private var needsFlush = false
    /// A response that closes the connection is queued: later requests are not answered.
    private var closing = false
    /// Our side is shut; input is read and dropped until EOF or the linger bound.
    private var lingerDeadline: NIODeadline?
    private var inputClosed = false
    private var draining = false
    /// A read was held back while paused.
    private var readHeld = false
    /// Between a request's head and its end.
    private var inRequest = false
    /// A request declared a body that is read and dropped: linger for the body timeout.
    private var bodyDeclared = false

    private var idleSince = NIODeadline.now()
    private var headStarted: NIODeadline?
    private var writeStalledSince: NIODeadline?
    private var timer: Scheduled<Void>?
    private var timerAt: NIODeadline?

    init(
        responder: any HTTPResponder, configuration: HTTPServerConfiguration, accessLog: AccessLog?,
        progress: RequestHeadProgress
    ) {
        self.responder = responder
        self.configuration = configuration
        self.accessLog = accessLog
        self.progress = progress
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // A new connection owes its first request head within the header timeout.
        headStarted = .now()
        armTimer(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    // MARK: Requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            progress.headIncomplete = false
            headStarted = nil
            inRequest = true
            guard !closing && lingerDeadline == nil else { return }
            respond(to: head, context: context)
        case .body:
            break  // no endpoint takes a body: it is dropped as it arrives
        case .end:
            inRequest = false
            progress.betweenRequests = true
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let hasBody = Self.declaresBody(head.headers)
        if hasBody { bodyDeclared = true }
        let keepAlive = head.isKeepAlive && !hasBody && !inputClosed && !draining && !configuration.isDraining()
        let isHead = head.method == .HEAD
        let started = accessLog == nil ? nil : NIODeadline.now()
        func entry(_ query: AccessLog.Query) -> AccessLog.Entry? {
            started.map { AccessLog.Entry(method: head.method, uri: head.uri, query: query, started: $0) }
        }
        let disposition: ConnectionDisposition =
            !keepAlive ? .close : head.version.major == 1 && head.version.minor == 0 ? .keepAliveHTTP10 : .keepAlive
        if let rejection = limitViolation(head) {
            enqueue(.now(rejection), disposition: .close, isHead: isHead, logging: entry(.notRead), context: context)
            return
        }
        guard let request = HTTPRequest.parse(method: head.method, uri: head.uri, headers: head.headers) else {
            let response = HTTPResponse.error(
                .badRequest, code: "bad_query", message: "the query string has an invalid percent escape")
            enqueue(.now(response), disposition: disposition, isHead: isHead, logging: entry(.malformed), context: context)
            return
        }
        enqueue(
            responder.respond(to: request), disposition: disposition, isHead: isHead,
            logging: entry(.parsed(request.query)), context: context)
    }

    /// Whether the request says a body follows (`Content-Length` above 0, or any
    /// `Transfer-Encoding`).
    private static func declaresBody(_ headers: HTTPHeaders) -> Bool {
        if headers.contains(name: "Transfer-Encoding") { return true }
        guard let length = headers.first(name: "Content-Length") else { return false }
        return length != "0"
    }

    private func limitViolation(_ head: HTTPRequestHead) -> HTTPResponse? {
        let requestLine = head.method.rawValue.utf8.count + head.uri.utf8.count + 10
        if requestLine > configuration.maxRequestLine {
            return Self.uriTooLong(requestLine, limit: configuration.maxRequestLine)
        }
        var headerBytes = 0
        for (name, value) in head.headers { headerBytes += name.utf8.count + value.utf8.count + 4 }
        if headerBytes > configuration.maxHeaderBytes {
            return .error(
                .requestHeaderFieldsTooLarge, code: "headers_too_large",
                message: "the headers are \(headerBytes) bytes; at most \(configuration.maxHeaderBytes) are accepted")
        }
        return nil
    }

    private static func uriTooLong(_ bytes: Int, limit: Int) -> HTTPResponse {
        .error(
            .uriTooLong, code: "uri_too_long",
            message: "the request line is \(bytes) bytes; at most \(limit) are accepted")
    }

    // MARK: Responses in order

    private func enqueue(
        _ reply: HTTPReply, disposition: ConnectionDisposition, isHead: Bool, logging: AccessLog.Entry?,
        context: ChannelHandlerContext
    ) {
        let closes = disposition == .close
        if closes { closing = true }
        switch reply {
        case .now(let response):
            record(logging, status: response.status, context: context)
            let bytes = ResponseEncoder.encode(
                response, connection: disposition, isHead: isHead, allocator: context.channel.allocator)
            if queue.isEmpty {
                context.write(wrapOutboundOut(bytes), promise: nil)
                needsFlush = true
                if closes { finish(context: context) }
            } else {
                queue.append(Slot(bytes: bytes, closesConnection: closes))
            }
        case .later(let work):
            let sequence = firstSequence + queue.count
            queue.append(Slot(bytes: nil, closesConnection: closes))
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { await work() }.whenComplete { result in
                let handler = bound.value
                guard let context = handler.context else { return }
                let response: HTTPResponse
                switch result {
                case .success(let value): response = value
                case .failure: response = .error(.internalServerError, code: "internal", message: "the request failed")
                }
                handler.record(logging, status: response.status, context: context)
                handler.fill(sequence: sequence, response: response, disposition: disposition, isHead: isHead, context: context)
            }
        }
    }

    private func record(_ logging: AccessLog.Entry?, status: HTTPResponseStatus, context: ChannelHandlerContext) {
        if let logging, let accessLog {
            accessLog.record(logging, status: status, client: context.channel.remoteAddress)
        }
    }

    private func fill(
        sequence: Int, response: HTTPResponse, disposition: ConnectionDisposition, isHead: Bool,
        context: ChannelHandlerContext
    ) {
        let index = sequence - firstSequence
        guard index >= 0, index < queue.count else { return }
        // Draining: the next answer written tells the client to go elsewhere.
        let final: ConnectionDisposition = draining || configuration.isDraining() ? .close : disposition
        queue[queue.index(queue.startIndex, offsetBy: index)].bytes = ResponseEncoder.encode(
            response, connection: final, isHead: isHead, allocator: context.channel.allocator)
        if final == .close { queue[queue.index(queue.startIndex, offsetBy: index)].closesConnection = true }
        writeReady(context: context)
        flushIfNeeded(context: context)
    }

    /// Writes the answers at the front of the queue that are ready.
    private func writeReady(context: ChannelHandlerContext) {
        while let first = queue.first, let bytes = first.bytes {
            queue.removeFirst()
            firstSequence += 1
            context.write(wrapOutboundOut(bytes), promise: nil)
            needsFlush = true
            if first.closesConnection || (draining && queue.isEmpty) {
                queue.removeAll()
                finish(context: context)
                return
            }
        }
        if queue.isEmpty {
            idleSince = .now()
            if draining || inputClosed {
                finish(context: context)
                return
            }
        }
        resumeReadingIfPossible(context: context)
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }

    /// The last answer is written: shut our side once it is sent, then read and drop
    /// what the client still sends until it closes or the linger bound passes (the body
    /// timeout after a declared body, else 250 ms), so that unread input does not turn
    /// the close into a reset that destroys the answer.
    private func finish(context: ChannelHandlerContext) {
        closing = true
        needsFlush = false
        guard lingerDeadline == nil else { return }
        // Without a body to drop there is little left to read: a short linger suffices.
        let linger = bodyDeclared ? configuration.bodyTimeout : min(configuration.bodyTimeout, .milliseconds(250))
        lingerDeadline = .now() + linger
        let channel = context.channel
        let inputClosed = self.inputClosed
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { result in
            if inputClosed || (try? result.get()) == nil {
                channel.close(promise: nil)
            } else {
                channel.close(mode: .output, promise: nil)
            }
        }
        armTimer(context: context)
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        if progress.headIncomplete && headStarted == nil {
            headStarted = .now()
        } else if queue.isEmpty && !inRequest && !progress.headIncomplete {
            idleSince = .now()
        }
        armTimer(context: context)
        context.fireChannelReadComplete()
    }

    // MARK: Backpressure

    private var mustPause: Bool {
        queue.count >= configuration.maxPendingResponses || context?.channel.isWritable == false
    }

    func read(context: ChannelHandlerContext) {
        if lingerDeadline == nil && mustPause {
            readHeld = true
            return
        }
        context.read()
    }

    private func resumeReadingIfPossible(context: ChannelHandlerContext) {
        guard readHeld, !mustPause else { return }
        readHeld = false
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeStalledSince = nil
            resumeReadingIfPossible(context: context)
        } else {
            writeStalledSince = .now()
            armTimer(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Timeouts

    /// When the connection must close unless something happens first.
    private var deadline: NIODeadline? {
        if let lingerDeadline { return lingerDeadline }
        var earliest: NIODeadline?
        func consider(_ candidate: NIODeadline) {
            if earliest.map({ candidate < $0 }) ?? true { earliest = candidate }
        }
        if let writeStalledSince { consider(writeStalledSince + configuration.idleTimeout) }
        if let headStarted { consider(headStarted + configuration.headerTimeout) }
        if queue.isEmpty && !inRequest && headStarted == nil { consider(idleSince + configuration.idleTimeout) }
        return earliest
    }

    /// Makes sure a timer fires no later than ``deadline``. The timer is moved only
    /// earlier; one that fires early re-arms itself, so a busy connection schedules
    /// about one timer per idle timeout.
    private func armTimer(context: ChannelHandlerContext) {
        guard let deadline else { return }
        if let timerAt, timerAt <= deadline, timer != nil { return }
        timer?.cancel()
        timerAt = deadline
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            bound.value.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerAt = nil
        guard let context else { return }
        guard let deadline else { return }
        if deadline <= .now() {
            context.close(promise: nil)
        } else {
            armTimer(context: context)
        }
    }

    // MARK: Events

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let tooLong as RequestHeadGuard.RequestLineTooLong:
            guard !closing else { return }
            let logging = accessLog.map { _ in
                AccessLog.Entry(
                    method: HTTPMethod(rawValue: tooLong.method), uri: tooLong.targetStart, query: .notRead,
                    started: .now())
            }
            enqueue(
                .now(Self.uriTooLong(tooLong.bytesSeen, limit: configuration.maxRequestLine)), disposition: .close,
                isHead: false, logging: logging, context: context)
            flushIfNeeded(context: context)
        // Sent to every connection when the server stops: finish what is in flight, then close.
        case is ChannelShouldQuiesceEvent:
            draining = true
            if queue.isEmpty && !inRequest && !progress.headIncomplete {
                context.close(promise: nil)
            }
        case ChannelEvent.inputClosed:
            inputClosed = true
            if lingerDeadline != nil || (queue.isEmpty && !closing) {
                context.close(promise: nil)
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !closing, lingerDeadline == nil else { return }
        let parserError = (error as? HTTPParserError) ?? ((error as? ByteToMessageDecoderError).flatMap(Self.parserError))
        guard let parserError else {
            context.close(promise: nil)
            return
        }
        if let accessLog { accessLog.recordMalformed(parserError, client: context.channel.remoteAddress) }
        let response: HTTPResponse =
            parserError == .headerOverflow
            ? .error(
                .requestHeaderFieldsTooLarge, code: "headers_too_large",
                message: "the headers are larger than the \(configuration.maxHeaderBytes) bytes accepted")
            : .error(.badRequest, code: "malformed_request", message: "the request is not valid HTTP/1.1")
        enqueue(.now(response), disposition: .close, isHead: false, logging: nil, context: context)
        flushIfNeeded(context: context)
    }

    private static func parserError(_ error: ByteToMessageDecoderError) -> HTTPParserError? {
        if case .dataReceivedInErrorState(let inner, _) = error { return inner as? HTTPParserError }
        return nil
    }
}
