/// A value ready now, or work to await for it: what a responder replies (``HTTPReply``),
/// what a route renders, what the route pipeline answers. One shape for all three, so
/// a value that is ready is handed on where it is (on the event loop, no task) and only
/// work that waits goes off it.
///
/// ```swift
/// let reply: HTTPReply = cached.map { .now($0) } ?? .later { await render() }
/// ```
public enum NowOrLater<Value: Sendable>: Sendable {
    /// Ready: used where it is (a responder's is written at once, on the connection's
    /// event loop).
    case now(Value)
    /// Awaited on a task first (a responder's is written back on the connection's event
    /// loop).
    case later(@Sendable () async -> Value)

    /// The value, awaited when it is not ready.
    public func value() async -> Value {
        switch self {
        case .now(let value): value
        case .later(let work): await work()
        }
    }

    /// The same reply with `transform` applied to its value: now when it is ready, else
    /// after the work.
    public func map<Other: Sendable>(_ transform: @escaping @Sendable (Value) -> Other) -> NowOrLater<Other> {
        switch self {
        case .now(let value): .now(transform(value))
        case .later(let work): .later { transform(await work()) }
        }
    }
}
