/// A request that cannot be answered as asked, thrown from anywhere a route does its
/// work and answered with ``response`` (a 400 naming the bad parameter, a 401, ...).
public struct HTTPError: Error, Sendable {
    /// What the client gets.
    public let response: HTTPResponse

    /// An error answered with `response`.
    public init(_ response: HTTPResponse) { self.response = response }
}
