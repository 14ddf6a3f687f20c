import NIOCore
import NIOHTTP1

/// Serves one connection behind NIOHTTP1's request decoder: answers each request from
/// its head (no endpoint reads a body) and writes the answers as bytes. What to do and
/// when is decided by its ``HTTPConnectionStateMachine`` (order, backpressure, every
/// timeout, keep-alive, half-close, drain); this class only feeds it NIO's events, with
/// the event loop's clock (`EventLoop.now`, which an `EmbeddedEventLoop` lets a test
/// advance), and performs its actions. It also builds the answers: the limits of the
/// head, the query, the responder.
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let responder: any HTTPResponder
    private let configuration: HTTPServerConfiguration
    private let accessLog: AccessLog?
    /// Where the connection cap reads what this connection is doing (nil: no cap).
    private let published: ConnectionActivity?
    private var context: ChannelHandlerContext?
    private var state: HTTPConnectionStateMachine
    private var timer: NIOScheduledCallback?

    init(
        responder: any HTTPResponder, configuration: HTTPServerConfiguration, accessLog: AccessLog?,
        activity: ConnectionActivity? = nil, now: NIODeadline = .now()
    ) {
        self.responder = responder
        self.configuration = configuration
        self.accessLog = accessLog
        self.published = activity
        self.state = HTTPConnectionStateMachine(limits: .init(configuration), now: now)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        perform(state.opened(), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    /// Raw bytes arrived (told by the ``RequestHeadGuard`` in front of the decoder):
    /// whether they begin a new request.
    func bytesArrived(context: ChannelHandlerContext) -> Bool {
        state.bytesArrived(now: context.eventLoop.now)
    }

    // MARK: Requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            let hasBody = Self.declaresBody(head.headers)
            let decision = state.headReceived(
                keepAliveRequested: head.isKeepAlive, declaresBody: hasBody,
                isHTTP10: head.version.major == 1 && head.version.minor == 0,
                serverDraining: configuration.isDraining())
            guard case .answer(let disposition) = decision else { return }
            respond(to: head, disposition: disposition, context: context)
        case .body:
            break  // no endpoint takes a body: it is dropped as it arrives
        case .end:
            state.requestEnded(now: context.eventLoop.now)
        }
    }

    private func respond(to head: HTTPRequestHead, disposition: ConnectionDisposition, context: ChannelHandlerContext) {
        let isHead = head.method == .HEAD
        let started = accessLog == nil ? nil : NIODeadline.now()
        func entry(_ query: AccessLog.Query) -> AccessLog.Entry? {
            started.map { AccessLog.Entry(method: head.method, uri: head.uri, query: query, started: $0) }
        }
        if let rejection = limitViolation(head) {
            answer(.now(rejection), disposition: .close, isHead: isHead, logging: entry(.notRead), context: context)
            return
        }
        guard let request = HTTPRequest.parse(method: head.method, uri: head.uri, headers: head.headers) else {
            let response = HTTPResponse.error(
                .badRequest, code: "bad_query", message: "the query string has an invalid percent escape")
            answer(.now(response), disposition: disposition, isHead: isHead, logging: entry(.malformed), context: context)
            return
        }
        answer(
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

    // MARK: Answers in order

    private func answer(
        _ reply: HTTPReply, disposition: ConnectionDisposition, isHead: Bool, logging: AccessLog.Entry?,
        context: ChannelHandlerContext
    ) {
        let closes = disposition == .close
        switch reply {
        case .now(let response):
            record(logging, status: response.status, context: context)
            let bytes = ResponseEncoder.encode(
                response, connection: disposition, isHead: isHead, allocator: context.channel.allocator)
            _ = state.queueAnswer(bytes, closes: closes)
            writeReady(context: context)
        case .later(let work):
            let sequence = state.queueAnswer(nil, closes: closes)
            publishActivity()
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
        // Draining: the next answer written tells the client to go elsewhere.
        let final = state.finalDisposition(disposition, serverDraining: configuration.isDraining())
        let bytes = ResponseEncoder.encode(response, connection: final, isHead: isHead, allocator: context.channel.allocator)
        guard state.fill(sequence: sequence, bytes: bytes, closes: final == .close) else { return }
        writeReady(context: context)
        if state.takeFlush() { context.flush() }
    }

    /// Writes the answers at the front of the queue that are ready, then does what follows.
    private func writeReady(context: ChannelHandlerContext) {
        while let bytes = state.nextWrite() {
            context.write(wrapOutboundOut(bytes), promise: nil)
        }
        perform(state.answersWritten(now: context.eventLoop.now), context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        let (flush, actions) = state.readComplete(now: context.eventLoop.now)
        if flush { context.flush() }
        perform(actions, context: context)
        context.fireChannelReadComplete()
    }

    // MARK: Actions

    private func perform(_ actions: HTTPConnectionStateMachine.Actions, context: ChannelHandlerContext) {
        publishActivity()
        if let deadline = actions.armTimer { schedule(deadline, context: context) }
        if let close = actions.close {
            switch close {
            case .now:
                context.close(promise: nil)
            case .outputAfterFlush, .afterFlush:
                let channel = context.channel
                let whole = close == .afterFlush
                context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { result in
                    if whole || (try? result.get()) == nil {
                        channel.close(promise: nil)
                    } else {
                        channel.close(mode: .output, promise: nil)
                    }
                }
            }
        }
        if actions.read { context.read() }
    }

    private func publishActivity() {
        guard let published, let change = state.takeActivityChange() else { return }
        published.publish(change)
    }

    /// A scheduled callback rather than `scheduleTask`: no promise, future and closure to
    /// allocate for the timer every connection arms.
    private func schedule(_ deadline: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        // Throws only when the event loop is shutting down: then no timer is needed.
        timer = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self)
    }

    // MARK: Backpressure

    func read(context: ChannelHandlerContext) {
        if state.readRequested() { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        perform(
            state.writabilityChanged(isWritable: context.channel.isWritable, now: context.eventLoop.now), context: context)
        context.fireChannelWritabilityChanged()
    }

    // MARK: Events

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let tooLong as RequestHeadGuard.RequestLineTooLong:
            guard state.canAnswer else { return }
            let logging = accessLog.map { _ in
                AccessLog.Entry(
                    method: HTTPMethod(rawValue: tooLong.method), uri: tooLong.targetStart, query: .notRead,
                    started: .now())
            }
            answer(
                .now(Self.uriTooLong(tooLong.bytesSeen, limit: configuration.maxRequestLine)), disposition: .close,
                isHead: false, logging: logging, context: context)
            if state.takeFlush() { context.flush() }
        // Sent to every connection when the server stops: finish what is in flight, then close.
        case is ChannelShouldQuiesceEvent:
            perform(state.quiesce(), context: context)
        // Sent by the connection cap when it needs this connection's room.
        case is ConnectionGate.MakeRoom:
            perform(state.evict(), context: context)
        case ChannelEvent.inputClosed:
            perform(state.inputEnded(), context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard state.canAnswer else { return }
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
        answer(.now(response), disposition: .close, isHead: false, logging: nil, context: context)
        if state.takeFlush() { context.flush() }
    }

    private static func parserError(_ error: ByteToMessageDecoderError) -> HTTPParserError? {
        if case .dataReceivedInErrorState(let inner, _) = error { return inner as? HTTPParserError }
        return nil
    }
}

extension HTTPConnectionHandler: NIOScheduledCallbackHandler {
    /// The connection's timer fired.
    func handleScheduledCallback(eventLoop: some EventLoop) {
        timer = nil
        guard let context else { return }
        perform(state.timerFired(now: eventLoop.now), context: context)
    }
}
