import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One parsed HTTP response.
struct RawHTTPResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body parsed as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

/// A deliberately low-level HTTP client: raw bytes over a blocking socket on a thread of
/// its own (never the Swift concurrency pool), so tests control keep-alive, pipelining
/// and malformed input exactly.
enum RawHTTPClient {
    struct Exchange: Sendable {
        var data: Data
        /// Whether the server closed the connection (rather than the read timing out).
        var closedByServer: Bool
        var elapsed: Double
    }

    /// Connects to 127.0.0.1:`port`, sends `raw`, reads until the server closes or
    /// `timeout` seconds pass without data.
    static func exchange(port: Int, _ raw: String, timeout: Double = 10) async throws -> Exchange {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try blockingExchange(port: port, Array(raw.utf8), timeout: timeout) })
            }
            thread.start()
        }
    }

    /// A single request with `Connection: close`.
    static func request(
        port: Int, _ method: String = "GET", _ target: String, headers: [String: String] = [:]
    ) async throws -> RawHTTPResponse {
        var raw = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { raw += "\(name): \(value)\r\n" }
        raw += "\r\n"
        let exchange = try await exchange(port: port, raw)
        guard let response = parse(exchange.data, headResponses: method == "HEAD" ? [0] : []).first else {
            throw ClientError("no response to \(method) \(target)")
        }
        return response
    }

    /// Splits a byte stream into responses; indices in `headResponses` have no body.
    static func parse(_ data: Data, headResponses: Set<Int> = []) -> [RawHTTPResponse] {
        var responses: [RawHTTPResponse] = []
        var bytes = [UInt8](data)[...]
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while let end = bytes.firstRange(of: separator) {
            let headText = String(decoding: bytes[bytes.startIndex..<end.lowerBound], as: UTF8.self)
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
            let headers = lines.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            var response = RawHTTPResponse(status: status, headers: headers, body: "")
            bytes = bytes[end.upperBound...]
            let length = headResponses.contains(responses.count) ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
            let body = bytes.prefix(length)
            response.body = String(decoding: body, as: UTF8.self)
            bytes = bytes.dropFirst(body.count)
            responses.append(response)
        }
        return responses
    }

    struct ClientError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private static func blockingExchange(port: Int, _ request: [UInt8], timeout: Double) throws -> Exchange {
        let socket = try TestSocket(port: port)
        socket.send(request)
        return socket.readUntilClose(timeout: timeout)
    }
}
