import NIOCore
import NIOEmbedded
import Testing

import FoundationEssentials
@testable import HealthHTTP

/// The connection's pipeline (request-line guard, NIOHTTP1's decoder, the handler) driven
/// through an `EmbeddedChannel`: bytes in, bytes out, time advanced by hand on the
/// embedded loop. No socket, no sleep.
@Suite(.timeLimit(.minutes(1))) struct HTTPConnectionHandlerTests {
    /// Counts the reads that reach the channel (the handler holds them back while paused).
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    struct Connection {
        let channel: EmbeddedChannel
        let reads: ReadCounter
        let activity: ConnectionActivity

        var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
        }

        /// Everything written so far, as text.
        func output() throws -> String {
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
                text += String(buffer: buffer)
            }
            return text
        }

        func advance(_ amount: TimeAmount) { loop.advanceTime(by: amount) }
    }

    static func connection(_ adjust: (inout HTTPServerConfiguration) -> Void = { _ in }) throws -> Connection {
        var routes = RouteTable()
        routes.get("/fast") { _ in .now(.text("fast")) }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, idleTimeout: .seconds(60))
        adjust(&configuration)
        let channel = EmbeddedChannel()
        let reads = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(reads)
        let activity = ConnectionActivity(acceptedAt: channel.embeddedEventLoop.now)
        try HTTPServer.configurePipeline(
            channel, configuration: configuration, responder: routes, accessLog: nil, activity: activity)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return Connection(channel: channel, reads: reads, activity: activity)
    }

    static let get = "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"

    // MARK: Keep-alive and pipelining

    @Test func pipelinedRequestsAreAnsweredInOrderAndTheConnectionStaysOpenUntilIdle() throws {
        let connection = try Self.connection()
        try connection.send(Self.get + Self.get)
        let output = try connection.output()
        #expect(output.components(separatedBy: "HTTP/1.1 200").count == 3, "\(output)")
        #expect(!output.contains("close"))
        #expect(connection.channel.isActive)
        connection.advance(.seconds(59))
        #expect(connection.channel.isActive)
        connection.advance(.seconds(1))
        #expect(!connection.channel.isActive, "closed at the idle timeout")
    }

    @Test func aRequestThatAsksToCloseIsAnsweredWithConnectionCloseAndNothingAfterIt() throws {
        let connection = try Self.connection()
        try connection.send("GET /fast HTTP/1.1\r\nConnection: close\r\n\r\n" + Self.get)
        let output = try connection.output()
        #expect(output.components(separatedBy: "HTTP/1.1 200").count == 2, "\(output)")
        #expect(output.lowercased().contains("connection: close"))
        #expect(!connection.channel.isActive)
    }

    // MARK: Timeouts

    @Test func aConnectionThatSendsNothingIsClosedAtTheHeaderTimeout() throws {
        let connection = try Self.connection { $0.headerTimeout = .seconds(2) }
        connection.advance(.milliseconds(1999))
        #expect(connection.channel.isActive)
        connection.advance(.milliseconds(1))
        #expect(!connection.channel.isActive)
        #expect(try connection.output().isEmpty)
    }

    @Test func aSlowlorisHeadIsCutOffAtTheHeaderTimeoutWhateverItKeepsSending() throws {
        let connection = try Self.connection { $0.headerTimeout = .seconds(2) }
        try connection.send(Self.get)
        _ = try connection.output()
        connection.advance(.seconds(10))
        try connection.send("GET /fast HTTP/1.1\r\n")
        for _ in 0..<19 {
            connection.advance(.milliseconds(100))
            try connection.send("X")
        }
        #expect(connection.channel.isActive)
        connection.advance(.milliseconds(100))
        #expect(!connection.channel.isActive)
        let output = try connection.output()
        #expect(output.isEmpty, "\(output)")
    }

    @Test func aClientThatReadsNothingIsClosedAfterTheIdleTimeoutOfTheStall() throws {
        let connection = try Self.connection { $0.idleTimeout = .seconds(5) }
        try connection.send(Self.get)
        connection.channel.isWritable = false
        connection.channel.pipeline.fireChannelWritabilityChanged()
        // Requests keep coming (each restarts the idle clock); the stall's clock runs on.
        connection.advance(.seconds(3))
        try connection.send(Self.get)
        connection.advance(.milliseconds(1999))
        #expect(connection.channel.isActive)
        connection.advance(.milliseconds(1))
        #expect(!connection.channel.isActive, "closed 5 s into the stall, not 5 s after the last request")
    }

    // MARK: Backpressure

    @Test func readsAreHeldWhileTheChannelIsNotWritableAndResumedAfter() throws {
        let connection = try Self.connection()
        connection.channel.read()
        #expect(connection.reads.reads == 1)
        connection.channel.isWritable = false
        connection.channel.pipeline.fireChannelWritabilityChanged()
        connection.channel.read()
        #expect(connection.reads.reads == 1, "held")
        connection.channel.isWritable = true
        connection.channel.pipeline.fireChannelWritabilityChanged()
        #expect(connection.reads.reads == 2, "resumed")
    }

    // MARK: Half-close, drain, eviction

    @Test func aClientThatHalfClosesAfterItsRequestGetsTheAnswerThenTheClose() throws {
        let connection = try Self.connection()
        try connection.send("GET /fast HTTP/1.1\r\n\r\n")
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try connection.output().contains("fast"))
        #expect(!connection.channel.isActive)
    }

    @Test func aQuiescedIdleConnectionClosesAtOnceAndAHeadArrivingIsStillAnswered() throws {
        let idle = try Self.connection()
        idle.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!idle.channel.isActive)
        let heading = try Self.connection()
        try heading.send("GET /fast HTTP/1.1\r\n")
        heading.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(heading.channel.isActive)
        try heading.send("Host: x\r\n\r\n")
        #expect(try heading.output().lowercased().contains("connection: close"))
        #expect(!heading.channel.isActive)
    }

    @Test func anIdleKeepAliveConnectionToldToMakeRoomClosesAtOnce() throws {
        let connection = try Self.connection()
        try connection.send(Self.get)
        _ = try connection.output()
        connection.advance(.seconds(3))
        #expect(connection.activity.current == .idle(since: connection.loop.now - .seconds(3)))
        connection.channel.pipeline.fireUserInboundEventTriggered(ConnectionGate.MakeRoom())
        #expect(!connection.channel.isActive)
    }

    @Test func theActivityTheCapReadsFollowsTheConnection() throws {
        let connection = try Self.connection()
        let opened = connection.loop.now
        #expect(connection.activity.current == .waitingForFirstRequest(since: opened))
        connection.advance(.seconds(1))
        try connection.send("GET /fast HTTP/1.1\r\n")
        #expect(connection.activity.current == .readingHead(since: opened))
        try connection.send("\r\n")
        #expect(connection.activity.current == .idle(since: connection.loop.now))
    }
}
