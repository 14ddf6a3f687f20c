import Foundation
import HealthHTTP
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The attacks of #40 item 8 against a real server with a small cap (4): the cap full of
/// idle keep-alive connections, of one client's connections, of slow heads. Each time a
/// fresh probe gets its answer (before, it got none: its connection was closed at once).
@Suite(.timeLimit(.minutes(2))) struct ConnectionCapTests {
    /// Requests to `/hang` wait until the test ends.
    private final class Hang: Sendable {
        private let released = NIOLockedValueBox(false)
        func wait() async {
            for _ in 0..<3000 where !released.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        }
        func release() { released.withLockedValue { $0 = true } }
    }

    private func withServer(
        _ adjust: (inout HTTPServerConfiguration) -> Void, _ body: (HTTPServer, Int, Hang) async throws -> Void
    ) async throws {
        let hang = Hang()
        var routes = RouteTable()
        routes.get("/livez") { _ in .now(.text("ok")) }
        routes.get("/hang") { _ in
            .later {
                await hang.wait()
                return .text("late")
            }
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, idleTimeout: .seconds(60))
        configuration.maxConnections = 4
        configuration.drainTimeout = .milliseconds(200)
        adjust(&configuration)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = HTTPServer(configuration: configuration, responder: routes, logger: TestHost.logger, group: group)
        let port = try await server.start()
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        try await body(server, port, hang)
        hang.release()
        await server.stop()
        try await group.shutdownGracefully()
    }

    private func waitForOpenConnections(_ server: HTTPServer, _ count: Int) async throws {
        for _ in 0..<300 where server.openConnectionCount != count { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.openConnectionCount == count)
    }

    /// A fresh `GET /livez` from `source`: its answer's body, or nil if the connection was
    /// closed without one.
    private func probe(port: Int, from source: String = "127.0.0.1") async throws -> String? {
        try await offThePool {
            let client = try TestSocket(port: port, source: source)
            client.send("GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return RawHTTPClient.parse(client.readUntilClose().data).first?.body
        }
    }

    @Test func idleKeepAliveConnectionsAtTheCapMakeRoomForAFreshProbe() async throws {
        try await withServer({ _ in }) { server, port, _ in
            // One client fills the cap with keep-alive connections, each used once.
            let held = try await offThePool {
                try (0..<4).map { _ -> TestSocket in
                    let socket = try TestSocket(port: port)
                    socket.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
                    _ = socket.readResponses(1, timeout: 5)
                    return socket
                }
            }
            try await waitForOpenConnections(server, 4)
            for _ in 0..<3 {
                #expect(try await probe(port: port) == "ok")
            }
            // The first probe took the room of the connection idle the longest; a later one
            // finds the room a probe before it left, or takes the next oldest's (the earlier
            // probe's close can still be under way). The newest idle one still serves.
            let closed = try await offThePool { held.map { $0.readUntilClose(timeout: 0.2).closedByServer } }
            #expect(closed.first == true && closed.last == false, "\(closed)")
            #expect(closed == closed.sorted { $0 && !$1 }, "oldest first: \(closed)")
        }
    }

    @Test func oneAddressCannotTakeTheWholeCap() async throws {
        try await withServer({
            $0.loopbackHasAShare = true  // the test's clients are all on loopback
        }) { server, port, _ in
            // 127.0.0.2 opens four connections whose requests never finish: busy, they
            // cannot make room. Its share is two of the four.
            let attacker = try await offThePool {
                try (0..<4).map { _ -> TestSocket in
                    let socket = try TestSocket(port: port, source: "127.0.0.2")
                    socket.send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
                    return socket
                }
            }
            try await waitForOpenConnections(server, 2)
            let refused = try await offThePool { attacker.map { $0.readUntilClose(timeout: 0.3).closedByServer } }
            #expect(refused.filter { $0 }.count == 2, "\(refused)")
            #expect(try await probe(port: port, from: "127.0.0.3") == "ok")
        }
    }

    @Test func slowHeadsFillingTheCapMakeRoomForAFreshProbe() async throws {
        // Header timeout 2 s: a connection may make room once it has waited 0.5 s for its head.
        try await withServer({ $0.headerTimeout = .seconds(2) }) { server, port, _ in
            let slow = try await offThePool {
                try (0..<4).map { _ -> TestSocket in
                    let socket = try TestSocket(port: port)
                    socket.send("GET /livez HTTP/1.1\r\nX-Slow: ")
                    return socket
                }
            }
            try await waitForOpenConnections(server, 4)
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await probe(port: port) == "ok")
            // And again, with the cap refilled by fresh slow heads in between.
            let refill = try await offThePool {
                try (0..<2).map { _ -> TestSocket in
                    let socket = try TestSocket(port: port)
                    socket.send("GET /livez HTTP/1.1\r\nX-Slow: ")
                    return socket
                }
            }
            #expect(try await probe(port: port) == "ok")
            _ = (slow.count, refill.count)
        }
    }
}
