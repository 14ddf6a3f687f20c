import Foundation
import HealthHTTP
import NIOCore
import Testing

/// The HTTP layer alone: a route table, no checks, no plugins.
@Suite(.timeLimit(.minutes(2))) struct HTTPServerTests {
    private func withServer(
        idleTimeout: TimeAmount = .seconds(30), maxRequestLine: Int = 8192, maxHeaderBytes: Int = 16384,
        _ body: (Int) async throws -> Void
    ) async throws {
        var routes = RouteTable()
        routes.get("/fast") { _ in .now(.text("fast")) }
        routes.get("/slow") { request in
            .later {
                try? await Task.sleep(for: .milliseconds(300))
                return .text("slow \(request.query.first("n") ?? "")")
            }
        }
        routes.get("/echo") { request in
            .now(.text(request.query.pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&")))
        }
        let server = HTTPServer(
            configuration: .init(
                host: "127.0.0.1", port: 0, idleTimeout: idleTimeout, maxRequestLine: maxRequestLine,
                maxHeaderBytes: maxHeaderBytes),
            responder: routes, logger: TestHost.logger)
        let port = try await server.start()
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        try await body(port)
        await server.stop()
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withServer { port throws in
            let raw = "GET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?a=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let exchange = try await RawHTTPClient.exchange(port: port, raw)
            let responses = RawHTTPClient.parse(exchange.data)
            #expect(responses.map(\.body) == ["fast", "a=1"])
            #expect(responses[0].header("Connection") == nil)
            #expect(responses[1].header("Connection") == "close")
            #expect(exchange.closedByServer)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow() async throws {
        try await withServer { port throws in
            let raw =
                "GET /slow?n=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /slow?n=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let responses = RawHTTPClient.parse(try await RawHTTPClient.exchange(port: port, raw).data)
            #expect(responses.map(\.body) == ["slow 1", "fast", "slow 3"])
        }
    }

    @Test func headHasTheHeadersOfGetButNoBody() async throws {
        try await withServer { port throws in
            let raw = "HEAD /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let responses = RawHTTPClient.parse(try await RawHTTPClient.exchange(port: port, raw).data, headResponses: [0])
            #expect(responses.count == 2)
            #expect(responses[0].status == 200 && responses[0].header("Content-Length") == "4" && responses[0].body == "")
            #expect(responses[1].body == "fast")
        }
    }

    @Test func otherMethodsGet405WithAllow() async throws {
        try await withServer { port throws in
            let response = try await RawHTTPClient.request(port: port, "POST", "/fast")
            #expect(response.status == 405)
            #expect(response.header("Allow") == "GET, HEAD")
            #expect(response.json["error"] as? String == "method_not_allowed")
        }
    }

    @Test func unknownPathsGetAJSON404() async throws {
        try await withServer { port throws in
            let response = try await RawHTTPClient.request(port: port, "GET", "/nope?x=1")
            #expect(response.status == 404)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.json["error"] as? String == "not_found")
            #expect(response.json["message"] as? String == "no endpoint at /nope")
        }
    }

    @Test func queryStringsArePercentDecoded() async throws {
        try await withServer { port throws in
            #expect(try await RawHTTPClient.request(port: port, "GET", "/echo?a=x%20y&b=c+d&flag").body == "a=x y&b=c d&flag=")
            let bad = try await RawHTTPClient.request(port: port, "GET", "/echo?a=%zz")
            #expect(bad.status == 400)
            #expect(bad.json["error"] as? String == "bad_query")
        }
    }

    @Test func overlongRequestLineGets414AndLargeHeaders431() async throws {
        try await withServer(maxRequestLine: 300, maxHeaderBytes: 1024) { port throws in
            let long = try await RawHTTPClient.request(port: port, "GET", "/fast?" + String(repeating: "a", count: 400))
            #expect(long.status == 414)
            let headers = try await RawHTTPClient.request(
                port: port, "GET", "/fast", headers: ["X-Big": String(repeating: "b", count: 2000)])
            #expect(headers.status == 431)
            #expect(try await RawHTTPClient.request(port: port, "GET", "/fast").status == 200)
        }
    }

    @Test func garbageGets400() async throws {
        try await withServer { port throws in
            let exchange = try await RawHTTPClient.exchange(port: port, "NOT HTTP AT ALL\r\n\r\n")
            #expect(RawHTTPClient.parse(exchange.data).first?.status == 400)
            #expect(exchange.closedByServer)
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        try await withServer(idleTimeout: .milliseconds(300)) { port throws in
            let exchange = try await RawHTTPClient.exchange(port: port, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 10)
            #expect(RawHTTPClient.parse(exchange.data).first?.body == "fast")
            #expect(exchange.closedByServer)
            #expect(exchange.elapsed < 9)
        }
    }

    @Test func aServerStoppedBeforeItRunsDoesNotBindAgain() async throws {
        let server = HTTPServer(
            configuration: .init(host: "127.0.0.1", port: 0), responder: RouteTable(), logger: TestHost.logger)
        let port = try await server.start()
        await server.stop()
        // Returns at once instead of binding a fresh socket and serving it forever.
        try await server.run()
        #expect(try await server.start() == port)
        await #expect(throws: (any Error).self) { try await RawHTTPClient.request(port: port, "GET", "/") }
    }
}

extension HTTPServerTests {
    @Test(arguments: [
        ("a=1&b=2", [("a", "1"), ("b", "2")]),
        ("a=1&&b=", [("a", "1"), ("b", "")]),
        ("flag&x=%C3%A9t%C3%A9", [("flag", ""), ("x", "été")]),
        ("q=a=b", [("q", "a=b")]),
        ("&", []),
        ("é=ü&checks=a,b", [("é", "ü"), ("checks", "a,b")]),
        ("c+d=e+f", [("c d", "e f")]),
    ])
    func queryParsingKeepsOrderRepeatsAndUTF8(query: String, expected: [(String, String)]) throws {
        let parsed = try #require(QueryParameters(parsing: Substring(query)))
        #expect(parsed.pairs.map(\.name) == expected.map(\.0))
        #expect(parsed.pairs.map(\.value) == expected.map(\.1))
    }

    @Test func anInvalidEscapeAnywhereFailsTheWholeQuery() {
        #expect(QueryParameters(parsing: "a=1&b=%zz") == nil)
        #expect(QueryParameters(parsing: "%G0=1") == nil)
    }
}
