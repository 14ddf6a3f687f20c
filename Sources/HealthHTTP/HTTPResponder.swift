/// What a responder gives back: a response ready now (answered on the event loop), or
/// work to await off the event loop first.
public enum HTTPReply: Sendable {
    /// Written immediately, on the connection's event loop.
    case now(HTTPResponse)
    /// Awaited on a task; the response is written back on the connection's event loop.
    case later(@Sendable () async -> HTTPResponse)
}

/// Turns requests into replies. The server calls it on an event loop: it must not block.
public protocol HTTPResponder: Sendable {
    /// The reply to `request`.
    func respond(to request: HTTPRequest) -> HTTPReply
}
