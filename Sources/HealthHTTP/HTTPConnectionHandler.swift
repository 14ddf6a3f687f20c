import NIOCore
import NIOHTTP1

/// Serves one connection: turns each request into an ``HTTPRequest``, asks the
/// responder, writes the response. `HTTPServerPipelineHandler` (set up before this
/// handler) holds back pipelined requests until the previous response ends, so
/// responses go out in request order.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: any HTTPResponder
    private let configuration: HTTPServerConfiguration
    private let accessLog: AccessLog?
    private var head: HTTPRequestHead?
    private var responding = false

    init(responder: any HTTPResponder, configuration: HTTPServerConfiguration, accessLog: AccessLog?) {
        self.responder = responder
        self.configuration = configuration
        self.accessLog = accessLog
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
        case .body:
            break  // health endpoints take no body; it is read and dropped
        case .end:
            guard let requestHead = head else { return }
            head = nil
            respond(to: requestHead, context: context)
        }
    }

    private func respond(to requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = requestHead.isKeepAlive && !configuration.isDraining()
        let isHead = requestHead.method == .HEAD
        let started = accessLog == nil ? nil : NIODeadline.now()
        func entry(_ query: AccessLog.Query) -> AccessLog.Entry? {
            started.map { AccessLog.Entry(method: requestHead.method, uri: requestHead.uri, query: query, started: $0) }
        }
        if let rejection = limitViolation(requestHead) {
            write(rejection, keepAlive: false, isHead: isHead, context: context, logging: entry(.notRead))
            return
        }
        guard let request = HTTPRequest.parse(method: requestHead.method, uri: requestHead.uri, headers: requestHead.headers)
        else {
            let response = HTTPResponse.error(
                .badRequest, code: "bad_query", message: "the query string has an invalid percent escape")
            write(response, keepAlive: keepAlive, isHead: isHead, context: context, logging: entry(.malformed))
            return
        }
        let logging = entry(.parsed(request.query))
        switch responder.respond(to: request) {
        case .now(let response):
            write(response, keepAlive: keepAlive, isHead: isHead, context: context, logging: logging)
        case .later(let work):
            responding = true
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { await work() }.whenComplete { result in
                let (handler, context) = bound.value
                handler.responding = false
                let response: HTTPResponse
                switch result {
                case .success(let value): response = value
                case .failure: response = .error(.internalServerError, code: "internal", message: "the request failed")
                }
                handler.write(response, keepAlive: keepAlive, isHead: isHead, context: context, logging: logging)
            }
        }
    }

    private func limitViolation(_ head: HTTPRequestHead) -> HTTPResponse? {
        let requestLine = head.method.rawValue.utf8.count + head.uri.utf8.count + 10
        if requestLine > configuration.maxRequestLine {
            return .error(
                .uriTooLong, code: "uri_too_long",
                message: "the request line is \(requestLine) bytes; at most \(configuration.maxRequestLine) are accepted")
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

    private func write(
        _ response: HTTPResponse, keepAlive: Bool, isHead: Bool, context: ChannelHandlerContext, logging: AccessLog.Entry?
    ) {
        if let logging, let accessLog {
            accessLog.record(logging, status: response.status, client: context.channel.remoteAddress)
        }
        guard context.channel.isActive else { return }
        var headers = response.headers
        // Responses built once (ping, 401) carry their length already; the rest get it here.
        if !response.hasContentLength {
            headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !isHead && response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        guard !keepAlive else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if head == nil && !responding { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let accessLog, let parserError = error as? HTTPParserError {
            accessLog.recordMalformed(parserError, client: context.channel.remoteAddress)
        }
        context.close(promise: nil)
    }
}
