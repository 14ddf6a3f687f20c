import Foundation
import HealthHTTP
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The transport under attack: every phase timed, limits answered as documented,
/// backpressure, the connection cap and the drain. Real server on 127.0.0.1, raw
/// sockets, short timeouts.
@Suite(.timeLimit(.minutes(2))) struct HTTPTransportTests {
    private func withServer(
        _ adjust: (inout HTTPServerConfiguration) -> Void = { _ in },
        _ body: (HTTPServer, Int) async throws -> Void
    ) async throws {
        var routes = RouteTable()
        routes.get("/fast") { _ in .now(.text("fast")) }
        routes.get("/prepared") { _ in .now(Self.prepared) }
        routes.get("/slow") { request in
            .later {
                let milliseconds = Int(request.query.first("ms") ?? "") ?? 300
                try? await Task.sleep(for: .milliseconds(milliseconds))
                return .text("slow")
            }
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, idleTimeout: .seconds(30))
        adjust(&configuration)
        // A loop of its own: a flood in one test must not delay another test's timers.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = HTTPServer(configuration: configuration, responder: routes, logger: TestHost.logger, group: group)
        let port = try await server.start()
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        try await body(server, port)
        await server.stop()
        try await group.shutdownGracefully()
    }

    private static let prepared = HTTPResponse.text("prepared").withContentLength()

    // MARK: Limits as documented

    @Test func aHundredKilobyteRequestLineGets414AndTwoHundredKilobytesOfHeaders431() async throws {
        try await withServer { _, port in
            let line = try await RawHTTPClient.request(port: port, "GET", "/fast?x=" + String(repeating: "a", count: 100_000))
            #expect(line.status == 414)
            #expect(line.json["error"] as? String == "uri_too_long")
            var headers: [String: String] = [:]
            for index in 0..<200 { headers["X-Filler-\(index)"] = String(repeating: "b", count: 1000) }
            let big = try await RawHTTPClient.request(port: port, "GET", "/fast", headers: headers)
            #expect(big.status == 431)
            #expect(big.json["error"] as? String == "headers_too_large")
            let oneHuge = try await RawHTTPClient.request(
                port: port, "GET", "/fast", headers: ["X-Huge": String(repeating: "c", count: 200_000)])
            #expect(oneHuge.status == 431)
        }
    }

    @Test func aRequestSentByteByByteIsAnswered() async throws {
        try await withServer { _, port in
            let exchange = try await offThePool {
                let socket = try TestSocket(port: port)
                for byte in "GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8 {
                    socket.send([byte])
                    usleep(1000)
                }
                return socket.readUntilClose()
            }
            #expect(RawHTTPClient.parse(exchange.data).map(\.body) == ["fast"])
        }
    }

    @Test func manyPipelinedRequestsInOneWriteAreAnsweredInOrder() async throws {
        try await withServer { _, port in
            var raw = ""
            for index in 0..<200 {
                raw += index % 3 == 0 ? "GET /slow?ms=\(index % 7) HTTP/1.1\r\nHost: x\r\n\r\n" : "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
            }
            raw += "GET /prepared HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let responses = RawHTTPClient.parse(try await RawHTTPClient.exchange(port: port, raw).data)
            let expected = (0..<200).map { $0 % 3 == 0 ? "slow" : "fast" } + ["prepared"]
            #expect(responses.map(\.body) == expected)
            #expect(responses.last?.header("Connection") == "close")
        }
    }

    @Test func http10KeepAliveIsAnsweredWithKeepAliveAndPlainHTTP10IsClosed() async throws {
        try await withServer { _, port in
            let exchange = try await offThePool {
                let socket = try TestSocket(port: port)
                socket.send("GET /prepared HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let first = socket.readResponses(1)
                socket.send("GET /fast HTTP/1.0\r\n\r\n")
                return (first, socket.readUntilClose())
            }
            #expect(exchange.0.count == 1)
            #expect(exchange.0.first?.header("Connection") == "keep-alive")
            #expect(exchange.0.first?.body == "prepared")
            #expect(RawHTTPClient.parse(exchange.1.data).first?.header("Connection") == "close")
            #expect(exchange.1.closedByServer)
        }
    }

    @Test func aDeclaredBodyIsNotWaitedForAndItsConnectionCloses() async throws {
        try await withServer({ $0.bodyTimeout = .milliseconds(300) }) { _, port in
            // Content-Length: 100 and no body: answered at once, closed within the bound.
            let silent = try await offThePool {
                let socket = try TestSocket(port: port)
                socket.send("GET /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
                return socket.readUntilClose(timeout: 5)
            }
            let answer = RawHTTPClient.parse(silent.data).first
            #expect(answer?.body == "fast")
            #expect(answer?.header("Connection") == "close")
            #expect(silent.closedByServer)
            #expect(silent.elapsed < 3)
            // Expect: 100-continue gets the final answer, no 100 and no wait for the body.
            let expecting = try await offThePool {
                let socket = try TestSocket(port: port)
                socket.send("POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
                return socket.readUntilClose(timeout: 5)
            }
            let responses = RawHTTPClient.parse(expecting.data)
            #expect(responses.map(\.status) == [405])
            #expect(expecting.closedByServer)
        }
    }

    @Test func aClientThatHalfClosesAfterItsRequestStillGetsTheAnswer() async throws {
        try await withServer { _, port in
            let exchange = try await offThePool {
                let socket = try TestSocket(port: port)
                socket.send("GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
                socket.shutdownWrite()
                return socket.readUntilClose()
            }
            #expect(RawHTTPClient.parse(exchange.data).map(\.body) == ["slow", "fast"])
            #expect(exchange.closedByServer)
        }
    }

    // MARK: Every phase timed

    @Test func aSlowlorisHeadIsCutOffAtTheHeaderTimeout() async throws {
        try await withServer({ $0.headerTimeout = .milliseconds(300) }) { _, port in
            let result = try await offThePool {
                let socket = try TestSocket(port: port)
                socket.send("GET /fast HTTP/1.1\r\n")
                let started = Date()
                // A header byte every 50 ms keeps an idle timer alive forever; not this one.
                while Date().timeIntervalSince(started) < 5 {
                    if !socket.send("X") { break }
                    usleep(50_000)
                }
                return (Date().timeIntervalSince(started), socket.readUntilClose(timeout: 1))
            }
            #expect(result.0 < 3)
            #expect(result.1.data.isEmpty)
        }
    }

    @Test func aConnectionThatSendsNothingIsClosedAtTheHeaderTimeout() async throws {
        try await withServer({ $0.headerTimeout = .milliseconds(200) }) { _, port in
            let exchange = try await offThePool { try TestSocket(port: port).readUntilClose(timeout: 5) }
            #expect(exchange.closedByServer)
            #expect(exchange.elapsed < 3)
        }
    }

    @Test func slowHeadsAndSilentBodiesOnManyConnectionsAreAllReaped() async throws {
        try await withServer({
            $0.headerTimeout = .milliseconds(500)
            $0.bodyTimeout = .milliseconds(500)
        }) { server, port in
            let sockets = try await offThePool {
                try (0..<100).map { index -> TestSocket in
                    let socket = try TestSocket(port: port)
                    socket.send(index % 2 == 0 ? "GET /fast HTTP/1.1\r\nX-Slow: " : "GET /fast HTTP/1.1\r\nContent-Length: 100\r\n\r\n")
                    return socket
                }
            }
            #expect(sockets.count == 100)
            var open = server.openConnectionCount
            for _ in 0..<100 where open > 0 {
                try await Task.sleep(for: .milliseconds(50))
                open = server.openConnectionCount
            }
            #expect(open == 0)
            #expect(try await RawHTTPClient.request(port: port, "GET", "/fast").body == "fast")
        }
    }

    // MARK: Backpressure

    @Test func aClientThatPipelinesAndNeverReadsIsNotBufferedWithoutBound() async throws {
        // The flood's last send may stop inside a request head: that connection is then
        // closed at the header timeout, not the idle timeout, so both are 2 s here (the
        // header timeout's default, 10 s, was the whole of the wait below: a flaky test).
        try await withServer({
            $0.idleTimeout = .seconds(2)
            $0.headerTimeout = .seconds(2)
        }) { server, port in
            let request = Array(String(repeating: "GET /prepared HTTP/1.1\r\nHost: x\r\n\r\n", count: 100).utf8)
            let flood = try await offThePool {
                let socket = try TestSocket(port: port, receiveBuffer: 16384)
                let result = socket.flood(request, seconds: 1.5)
                return (result, socket)
            }
            // Without backpressure the kernel keeps taking requests while the answers pile
            // up in the server; with it, reads stop and the client's socket fills.
            #expect(flood.0.sawFull)
            #expect(flood.0.sent < 16 << 20, "the server kept reading: \(flood.0.sent) bytes taken")
            #expect(try await RawHTTPClient.request(port: port, "GET", "/fast").body == "fast")
            // A client that never reads its answers is closed after the idle (or header)
            // timeout (2 s; up to 10 s allowed for a loaded machine).
            var open = server.openConnectionCount
            for _ in 0..<200 where open > 0 {
                try await Task.sleep(for: .milliseconds(50))
                open = server.openConnectionCount
            }
            #expect(open == 0)
        }
    }

    // MARK: Connection cap

    @Test func connectionsPastTheCapAreClosedAtOnceAndFreshOnesServedBelowIt() async throws {
        try await withServer({ $0.maxConnections = 3 }) { server, port in
            let held = try await offThePool { try (0..<3).map { _ in try TestSocket(port: port) } }
            var open = 0
            for _ in 0..<100 where open < 3 {
                try await Task.sleep(for: .milliseconds(10))
                open = server.openConnectionCount
            }
            #expect(open == 3)
            let refused = try await offThePool {
                let socket = try TestSocket(port: port)
                socket.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
                return socket.readUntilClose(timeout: 5)
            }
            #expect(refused.data.isEmpty)
            #expect(refused.closedByServer)
            #expect(refused.elapsed < 3)
            _ = held.count
            try await offThePool { _ = held.map { $0.shutdownWrite() } }
            for _ in 0..<100 where server.openConnectionCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try await RawHTTPClient.request(port: port, "GET", "/fast").body == "fast")
        }
    }

    // MARK: Drain

    @Test func aRequestStillBusyAtTheDrainTimeoutHasItsConnectionClosed() async throws {
        let inFlight = NIOLockedValueBox(false)
        var routes = RouteTable()
        routes.get("/hang") { _ in
            .later {
                inFlight.withLockedValue { $0 = true }
                try? await Task.sleep(for: .seconds(30))
                return .text("too late")
            }
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.drainTimeout = .milliseconds(300)
        let capture = LogCapture()
        let server = HTTPServer(configuration: configuration, responder: routes, logger: capture.logger())
        let port = try await server.start()
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        let busy = try await offThePool {
            let busy = try TestSocket(port: port)
            busy.send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
            return busy
        }
        // Until the request is being answered (an accepted connection with nothing read
        // yet is idle, and the drain closes it at once).
        for _ in 0..<500 where !inFlight.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(inFlight.withLockedValue { $0 })
        let started = ContinuousClock.now
        await server.stop()
        let stopTook = ContinuousClock.now - started
        let answer = try await offThePool { busy.readUntilClose() }
        #expect(answer.data.isEmpty && answer.closedByServer)
        // The drain timeout, not the request's 30 s.
        #expect(stopTook >= .milliseconds(250) && stopTook < .seconds(5), "stop took \(stopTook)")
        #expect(server.openConnectionCount == 0)
        #expect(capture.all.contains { $0.contains("closing 1 connection(s) still busy after the drain timeout") }, "\(capture.all)")
    }

    @Test func stopLetsRequestsInFlightFinishWithConnectionCloseAndClosesIdleConnections() async throws {
        let serverBox = NIOLockedValueBox<HTTPServer?>(nil)
        var routes = RouteTable()
        routes.get("/slow") { _ in
            .later {
                // Answers only once the drain has begun, however slow the machine.
                while serverBox.withLockedValue({ $0 })?.isStopping != true {
                    try? await Task.sleep(for: .milliseconds(10))
                }
                try? await Task.sleep(for: .milliseconds(50))
                return .text("slow")
            }
        }
        let server = HTTPServer(
            configuration: .init(host: "127.0.0.1", port: 0), responder: routes, logger: TestHost.logger)
        serverBox.withLockedValue { $0 = server }
        let port = try await server.start()
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        let (idle, busy) = try await offThePool {
            let idle = try TestSocket(port: port)
            let busy = try TestSocket(port: port)
            busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            return (idle, busy)
        }
        try await Task.sleep(for: .milliseconds(100))
        let stopped = Task { await server.stop() }
        let answers = try await offThePool { (busy.readUntilClose(), idle.readUntilClose()) }
        await stopped.value
        let answer = RawHTTPClient.parse(answers.0.data).first
        #expect(answer?.body == "slow")
        #expect(answer?.header("Connection") == "close")
        #expect(answers.0.closedByServer)
        #expect(answers.1.data.isEmpty && answers.1.closedByServer)
        #expect(answers.1.elapsed < 1)
        #expect(server.openConnectionCount == 0)
    }
}
