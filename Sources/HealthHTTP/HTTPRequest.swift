import NIOHTTP1

/// A parsed request as responders see it.
public struct HTTPRequest: Sendable {
    /// The method (GET, HEAD...).
    public let method: HTTPMethod
    /// The path, without the query string (not percent-decoded).
    public let path: String
    /// The decoded query parameters.
    public let query: QueryParameters
    /// The request headers.
    public let headers: HTTPHeaders

    /// Creates a request.
    public init(method: HTTPMethod, path: String, query: QueryParameters = QueryParameters(), headers: HTTPHeaders = [:]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    /// Splits a request target into path and query; `nil` when the query is malformed.
    static func parse(method: HTTPMethod, uri: String, headers: HTTPHeaders) -> HTTPRequest? {
        guard let questionMark = uri.firstIndex(of: "?") else {
            return HTTPRequest(method: method, path: uri, headers: headers)
        }
        var queryText = uri[uri.index(after: questionMark)...]
        if let hash = queryText.firstIndex(of: "#") { queryText = queryText[..<hash] }
        guard let query = QueryParameters(parsing: queryText) else { return nil }
        return HTTPRequest(method: method, path: String(uri[..<questionMark]), query: query, headers: headers)
    }
}
