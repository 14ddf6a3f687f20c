// A bare NIOHTTP1 server: every request gets 200 "pong" with the headers healthhost's
// /health/ping sends. No routing, no auth, no engine: the floor of the pipeline's cost.
// Usage: nio-baseline PORT [EVENT_LOOPS] [full|minimal|preencoded|raw]
//   full        configureHTTPServerPipeline (pipelining assistant, error handler, header
//               validation), as healthhost uses it (the default)
//   minimal     NIOHTTP1's decoder and encoder only
//   preencoded  NIOHTTP1's decoder only; the response is one pre-encoded buffer
//   raw         no HTTP at all: one pre-encoded response per read that holds a request's
//               end ("\r\n\r\n"); the floor of NIO's channel machinery itself
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

/// Decoded requests, answered with one pre-encoded buffer (no response encoder).
final class PreencodedPongHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let response = ByteBuffer(string: pongResponse)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            context.writeAndFlush(wrapOutboundOut(response), promise: nil)
        }
    }
}

/// No HTTP parsing: counts request ends in the raw bytes and answers each.
final class RawPongHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let response = ByteBuffer(string: pongResponse)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytesView
        var ends = 0
        var index = bytes.startIndex
        while index + 3 < bytes.endIndex {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                ends += 1
                index += 4
            } else {
                index += 1
            }
        }
        for _ in 0..<ends { context.write(wrapOutboundOut(response), promise: nil) }
        if ends > 0 { context.flush() }
    }
}

let pongResponse =
    "HTTP/1.1 200 OK\r\nCache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\n"
    + "Expires: 0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\npong"

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 18190 : 18190
let loops = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2
let mode = arguments.count > 3 ? arguments[3] : "full"
let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
let channel = try await ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            switch mode {
            case "minimal":
                try pipeline.addHandler(HTTPResponseEncoder())
                try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
                try pipeline.addHandler(PongHandler())
            case "preencoded":
                try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
                try pipeline.addHandler(PreencodedPongHandler())
            case "raw":
                try pipeline.addHandler(RawPongHandler())
            default:
                try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                try pipeline.addHandler(PongHandler())
            }
        }
    }
    .bind(host: "127.0.0.1", port: port)
    .get()
print("nio-baseline on 127.0.0.1:\(port), \(loops) event loops, \(mode) pipeline")
try await channel.closeFuture.get()
