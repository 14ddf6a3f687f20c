/// What a responder gives back: a response ready now (answered on the event loop), or
/// work to await off the event loop first.
public typealias HTTPReply = NowOrLater<HTTPResponse>

/// Turns requests into replies. The server calls it on an event loop: it must not block.
public protocol HTTPResponder: Sendable {
    /// The reply to `request`.
    func respond(to request: HTTPRequest) -> HTTPReply
}
