// A bare NIOHTTP1 server: every request gets 200 "pong" with the headers healthhost's
// /health/ping sends. No routing, no auth, no engine: the floor of the pipeline's cost.
// Usage: nio-baseline PORT [EVENT_LOOPS] [full|minimal]
//   full     configureHTTPServerPipeline (pipelining assistant, error handler, header
//            validation), as healthhost uses it (the default)
//   minimal  NIOHTTP1's decoder and encoder only
import NIOCore
import NIOHTTP1
import NIOPosix

final class PongHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var keepAlive = true
    private let body: ByteBuffer
    private let headers: HTTPHeaders

    init() {
        body = ByteBuffer(string: "pong")
        headers = [
            "Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache", "Expires": "0",
            "Content-Type": "text/plain; charset=utf-8", "Content-Length": "4",
        ]
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if !keepAlive { context.close(promise: nil) }
        }
    }
}

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 18190 : 18190
let loops = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2
let minimal = arguments.count > 3 && arguments[3] == "minimal"
let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
let channel = try await ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            if minimal {
                try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
            } else {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            }
            try channel.pipeline.syncOperations.addHandler(PongHandler())
        }
    }
    .bind(host: "127.0.0.1", port: port)
    .get()
print("nio-baseline on 127.0.0.1:\(port), \(loops) event loops, \(minimal ? "minimal" : "full") pipeline")
try await channel.closeFuture.get()
