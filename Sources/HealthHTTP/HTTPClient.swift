import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client on SwiftNIO's client pipeline (NIOHTTP1's encoder and
/// decoder): one request per connection, bounded body, a deadline for the whole
/// exchange. For polling remote health endpoints (``KeepAliveHTTPClient`` keeps a
/// connection for a caller that sends to one place often).
public enum HTTPClient {
    /// What came back.
    public struct Response: Sendable {
        /// The status code.
        public let status: Int
        /// The body (at most ``maximumBodyBytes``).
        public let body: [UInt8]
    }

    /// Bodies larger than this are refused (a health body is small).
    public static let maximumBodyBytes = 256 * 1024

    /// Why a request failed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// GETs `target` with `headers`, failing after `timeout`.
    public static func get(
        _ target: HTTPTarget, headers: HTTPHeaders = [:], timeout: TimeAmount,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) -> EventLoopFuture<Response> {
        var headers = headers
        headers.replaceOrAdd(name: "Accept", value: "application/json")
        return request(.GET, target, headers: headers, body: nil, timeout: timeout, group: group)
    }

    private static func request(
        _ method: HTTPMethod, _ target: HTTPTarget, headers: HTTPHeaders, body: ByteBuffer?, timeout: TimeAmount,
        group: any EventLoopGroup
    ) -> EventLoopFuture<Response> {
        let eventLoop = group.any()
        let promise = eventLoop.makePromise(of: Response.self)
        let deadline = eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "no answer within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        var requestHeaders = headers
        requestHeaders.replaceOrAdd(name: "Host", value: target.port == 80 ? target.host : "\(target.host):\(target.port)")
        requestHeaders.replaceOrAdd(name: "Connection", value: "close")
        requestHeaders.replaceOrAdd(name: "User-Agent", value: "healthhost")
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: target.pathAndQuery, headers: requestHeaders)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
        // An address given as digits needs no resolver (NIO's runs getaddrinfo on a
        // Dispatch thread: a thread hop per request, per span export).
        let connected =
            if let address = try? SocketAddress(ipAddress: target.host, port: target.port) {
                bootstrap.connect(to: address)
            } else {
                bootstrap.connect(host: target.host, port: target.port)
            }
        connected
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                    channel.write(HTTPClientRequestPart.head(head), promise: nil)
                    if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                case .failure(let error):
                    promise.fail(Failure(description: "cannot connect to \(target.host):\(target.port): \(error)"))
                }
            }
        return promise.futureResult
    }

    private final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart

        private let promise: EventLoopPromise<Response>
        private var status = 0
        private var body: [UInt8] = []

        init(promise: EventLoopPromise<Response>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                status = Int(head.status.code)
            case .body(var buffer):
                guard body.count + buffer.readableBytes <= HTTPClient.maximumBodyBytes else {
                    promise.fail(Failure(description: "the body is larger than \(HTTPClient.maximumBodyBytes) bytes"))
                    context.close(promise: nil)
                    return
                }
                body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            case .end:
                promise.succeed(Response(status: status, body: body))
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(Failure(description: "the connection closed before the response ended"))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(Failure(description: "\(error)"))
            context.close(promise: nil)
        }
    }
}
