import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 client that keeps its one connection to `target` open between requests
/// (keep-alive), one request at a time, and opens a new one when the server closed it
/// or a request failed. For a caller that sends to the same place again and again: the
/// span exporter, which opened and closed a TCP connection per batch (a connect, an
/// accept, two closes and a pipeline set up: about a third of a traced request's extra
/// CPU). Requests queue on the event loop; the caller sends one after the other.
public final class KeepAliveHTTPClient: Sendable {
    private let target: HTTPTarget
    private let eventLoop: any EventLoop
    /// The open connection, touched on `eventLoop` only.
    private let connection: NIOLoopBoundBox<(any Channel)?>

    /// A client of `target`, its connection on `eventLoop`.
    public init(_ target: HTTPTarget, eventLoop: any EventLoop) {
        self.target = target
        self.eventLoop = eventLoop
        connection = .makeEmptyBox(valueType: (any Channel).self, eventLoop: eventLoop)
    }

    /// POSTs `body` with `headers`, failing after `timeout` (and closing the connection
    /// then: a late answer must not be taken for the next request's).
    public func post(headers: HTTPHeaders, body: ByteBuffer, timeout: TimeAmount) -> EventLoopFuture<HTTPClient.Response> {
        eventLoop.flatSubmit { [self] in
            let promise = eventLoop.makePromise(of: HTTPClient.Response.self)
            let deadline = eventLoop.scheduleTask(in: timeout) { [self] in
                promise.fail(HTTPClient.Failure(description: "no answer within \(timeout.nanoseconds / 1_000_000) ms"))
                close()
            }
            promise.futureResult.whenComplete { _ in deadline.cancel() }
            var headers = headers
            headers.replaceOrAdd(name: "Host", value: target.port == 80 ? target.host : "\(target.host):\(target.port)")
            headers.replaceOrAdd(name: "User-Agent", value: "healthhost")
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
            let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.pathAndQuery, headers: headers)
            open(timeout: timeout).whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    do {
                        try channel.pipeline.syncOperations.handler(type: KeptResponses.self).expect(promise)
                    } catch {
                        promise.fail(HTTPClient.Failure(description: "the connection lost its response handler: \(error)"))
                        return
                    }
                    channel.write(HTTPClientRequestPart.head(head), promise: nil)
                    channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                case .failure(let error):
                    promise.fail(
                        HTTPClient.Failure(description: "cannot connect to \(target.host):\(target.port): \(error)"))
                }
            }
            promise.futureResult.whenFailure { [self] _ in close() }
            return promise.futureResult
        }
    }

    /// Closes the connection, if one is open.
    public func close() {
        eventLoop.execute { [self] in
            connection.value?.close(promise: nil)
            connection.value = nil
        }
    }

    /// The open connection, or a new one.
    private func open(timeout: TimeAmount) -> EventLoopFuture<any Channel> {
        if let open = connection.value, open.isActive { return eventLoop.makeSucceededFuture(open) }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(KeptResponses())
                }
            }
        let connected =
            if let address = try? SocketAddress(ipAddress: target.host, port: target.port) {
                bootstrap.connect(to: address)
            } else {
                bootstrap.connect(host: target.host, port: target.port)
            }
        return connected.map { [self] channel in
            connection.value = channel
            channel.closeFuture.whenComplete { [self] _ in
                if connection.value === channel { connection.value = nil }
            }
            return channel
        }
    }
}

/// Collects each response on a kept-alive connection for the request waiting for it; a
/// response nobody waits for, a body past ``HTTPClient/maximumBodyBytes`` or a server
/// that says `Connection: close` ends the connection.
final class KeptResponses: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var waiting: EventLoopPromise<HTTPClient.Response>?
    private var status = 0
    private var body: [UInt8] = []
    private var closeAfter = false

    /// The next response goes to `promise`.
    func expect(_ promise: EventLoopPromise<HTTPClient.Response>) {
        waiting = promise
        status = 0
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
            closeAfter = !head.isKeepAlive
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= HTTPClient.maximumBodyBytes else {
                waiting = nil
                promise.fail(HTTPClient.Failure(description: "the body is larger than \(HTTPClient.maximumBodyBytes) bytes"))
                context.close(promise: nil)
                return
            }
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            waiting = nil
            promise.succeed(HTTPClient.Response(status: status, body: body))
            if closeAfter { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        waiting?.fail(HTTPClient.Failure(description: "the connection closed before the response ended"))
        waiting = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        waiting?.fail(HTTPClient.Failure(description: "\(error)"))
        waiting = nil
        context.close(promise: nil)
    }
}
