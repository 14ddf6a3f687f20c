public import NIOCore
public import NIOHTTP1
public import NIOPosix

/// A minimal HTTP/1.1 client on SwiftNIO's client pipeline (NIOHTTP1's encoder and
/// decoder): one request per connection, bounded body, a deadline for the whole
/// exchange. For polling remote health endpoints (``KeepAliveHTTPClient`` keeps a
/// connection for a caller that sends to one place often).
public enum HTTPClient {
    /// What came back.
    public struct Response: Sendable {
        /// The status code.
        public let status: Int
        /// The response's headers.
        public let headers: HTTPHeaders
        /// The body (at most ``maximumBodyBytes``).
        public let body: [UInt8]

        /// A response (another client's, given in this shape).
        public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// Bodies larger than this are refused (a health body is small).
    public static let maximumBodyBytes = 256 * 1024

    /// GETs `target` with `headers`, failing after `timeout`.
    public static func get(
        _ target: HTTPTarget, headers: HTTPHeaders = [:], timeout: TimeAmount,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) -> EventLoopFuture<Response> {
        let eventLoop = group.any()
        let promise = answer(on: eventLoop, within: timeout)
        var headers = headers
        headers.replaceOrAdd(name: "Accept", value: "application/json")
        headers.replaceOrAdd(name: "Connection", value: "close")
        let head = requestHead(.GET, target, headers: headers)
        connect(target, on: eventLoop, timeout: timeout, expecting: promise).whenComplete { result in
            switch result {
            case .success(let channel):
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            case .failure(let error):
                promise.fail(connectFailure(target, error))
            }
        }
        return promise.futureResult
    }

    /// A promise for a response that fails after `timeout` (and `onTimeout` runs then).
    static func answer(
        on eventLoop: any EventLoop, within timeout: TimeAmount, onTimeout: @escaping @Sendable () -> Void = {}
    ) -> EventLoopPromise<Response> {
        let promise = eventLoop.makePromise(of: Response.self)
        let deadline = eventLoop.scheduleTask(in: timeout) {
            promise.fail(HTTPClientError(description: "no answer within \(timeout.nanoseconds / 1_000_000) ms"))
            onTimeout()
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        return promise
    }

    /// The head of a request to `target`: `headers` with `Host` and `User-Agent`.
    static func requestHead(_ method: HTTPMethod, _ target: HTTPTarget, headers: HTTPHeaders) -> HTTPRequestHead {
        var headers = headers
        headers.replaceOrAdd(name: "Host", value: target.port == 80 ? target.host : "\(target.host):\(target.port)")
        headers.replaceOrAdd(name: "User-Agent", value: "healthhost")
        return HTTPRequestHead(version: .http1_1, method: method, uri: target.pathAndQuery, headers: headers)
    }

    /// A connection to `target` with NIOHTTP1's client handlers and a ``ResponseCollector``
    /// (the response of its first request goes to `promise`, when given).
    static func connect(
        _ target: HTTPTarget, on eventLoop: any EventLoop, timeout: TimeAmount, expecting promise: EventLoopPromise<Response>?
    ) -> EventLoopFuture<any Channel> {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(expecting: promise))
                }
            }
        // An address given as digits needs no resolver (NIO's runs getaddrinfo on a
        // Dispatch thread: a thread hop per connection).
        if let address = try? SocketAddress(ipAddress: target.host, port: target.port) {
            return bootstrap.connect(to: address)
        }
        return bootstrap.connect(host: target.host, port: target.port)
    }

    static func connectFailure(_ target: HTTPTarget, _ error: any Error) -> HTTPClientError {
        HTTPClientError(description: "cannot connect to \(target.host):\(target.port): \(error)")
    }
}

/// Collects each response on a connection for the request waiting for it (one at a
/// time); a response nobody waits for, a body past ``HTTPClient/maximumBodyBytes`` or a
/// server that says `Connection: close` ends the connection.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var waiting: EventLoopPromise<HTTPClient.Response>?
    private var status = 0
    private var headers: HTTPHeaders = [:]
    private var body: [UInt8] = []
    private var closeAfter = false

    init(expecting promise: EventLoopPromise<HTTPClient.Response>? = nil) { waiting = promise }

    /// The next response goes to `promise`.
    func expect(_ promise: EventLoopPromise<HTTPClient.Response>) {
        waiting = promise
        status = 0
        headers = [:]
        body = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let promise = waiting else {
            context.close(promise: nil)  // an answer to nothing asked
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            headers = head.headers
            closeAfter = !head.isKeepAlive
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= HTTPClient.maximumBodyBytes else {
                waiting = nil
                promise.fail(HTTPClientError(description: "the body is larger than \(HTTPClient.maximumBodyBytes) bytes"))
                context.close(promise: nil)
                return
            }
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            waiting = nil
            promise.succeed(HTTPClient.Response(status: status, headers: headers, body: body))
            if closeAfter { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        waiting?.fail(HTTPClientError(description: "the connection closed before the response ended"))
        waiting = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        waiting?.fail(HTTPClientError(description: "\(error)"))
        waiting = nil
        context.close(promise: nil)
    }
}

/// Why an ``HTTPClient`` request failed: no connection, no answer in time, a body too
/// large, a connection closed early.
public struct HTTPClientError: Error, CustomStringConvertible {
    /// What went wrong, naming the target where it helps.
    public let description: String
}
