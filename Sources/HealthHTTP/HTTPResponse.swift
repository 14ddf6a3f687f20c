public import HealthJSON
public import NIOCore
public import NIOHTTP1

/// A complete response: status, headers and body. `Content-Length` is added when
/// written.
public struct HTTPResponse: Sendable {
    /// The status.
    public var status: HTTPResponseStatus { didSet { encoded = nil } }
    /// The headers.
    public var headers: HTTPHeaders { didSet { encoded = nil } }
    /// The body (sent for GET, not for HEAD).
    public var body: ByteBuffer

    /// The body size `headers` already state as `Content-Length` (see ``withContentLength()``).
    private var statedContentLength: Int?
    /// The bytes of this response as a keep-alive HTTP/1.1 answer, encoded once by
    /// ``withContentLength()``; dropped when the status or headers change.
    private(set) var encoded: EncodedResponse?

    /// Whether `headers` already hold the right `Content-Length` for `body`.
    public var hasContentLength: Bool { statedContentLength == body.readableBytes }

    /// The pre-encoded bytes, while they still match the response.
    var preencoded: EncodedResponse? { hasContentLength ? encoded : nil }

    /// Creates a response.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The response with its `Content-Length` header set and its bytes encoded now, for
    /// responses built once and sent many times (the server then writes the same bytes
    /// for every keep-alive request; a body, status or headers changed afterwards are
    /// encoded again per request).
    public func withContentLength() -> HTTPResponse {
        var copy = self
        copy.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        copy.statedContentLength = body.readableBytes
        copy.encoded = EncodedResponse(copy)
        return copy
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: ByteBuffer(string: text))
    }

    /// A JSON response from a ``JSONValue`` (keys sorted, as Flask's `jsonify` does).
    public static func json(
        _ value: JSONValue, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:],
        contentType: String = "application/json"
    ) -> HTTPResponse {
        var text = JSONText()
        text.value(value)
        return .json(text, status: status, headers: headers, contentType: contentType)
    }

    /// A JSON response from prepared ``JSONText``.
    public static func json(
        _ text: JSONText, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:],
        contentType: String = "application/json"
    ) -> HTTPResponse {
        var headers = headers
        // `replaceOrAdd` removes and re-adds: a profile of the hot path showed it.
        if headers.contains(name: "Content-Type") {
            headers.replaceOrAdd(name: "Content-Type", value: contentType)
        } else {
            headers.add(name: "Content-Type", value: contentType)
        }
        return HTTPResponse(status: status, headers: headers, body: ByteBuffer(bytes: text.bytes))
    }

    /// The JSON error body every endpoint uses: `{"error": CODE, "message": TEXT}`.
    public static func error(
        _ status: HTTPResponseStatus, code: String, message: String, headers: HTTPHeaders = [:]
    ) -> HTTPResponse {
        .json(.object(["error": .string(code), "message": .string(message)]), status: status, headers: headers)
    }
}
