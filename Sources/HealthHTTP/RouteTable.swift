import NIOHTTP1

/// A small exact-path route table: each path answers GET (and so HEAD); other methods
/// get 405 with `Allow`, unknown paths a JSON 404.
public struct RouteTable: HTTPResponder {
    /// Handles one route.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPReply

    private var routes: [String: Handler] = [:]

    /// Creates an empty table.
    public init() {}

    /// Serves `path` with `handler`. A later registration of the same path replaces it.
    public mutating func get(_ path: String, _ handler: @escaping Handler) {
        routes[path] = handler
    }

    /// Adds every route of `other`, replacing routes of the same path.
    public mutating func add(contentsOf other: RouteTable) {
        routes.merge(other.routes) { _, new in new }
    }

    /// A configured prefix ready to have `/name` appended: `/z/` and `/z` both give `/z`.
    public static func base(_ prefix: String) -> String {
        prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
    }

    /// Every registered path.
    public var paths: [String] { routes.keys.sorted() }

    public func respond(to request: HTTPRequest) -> HTTPReply {
        guard let handler = routes[request.path] else { return .now(Self.notFound(request.path)) }
        guard request.method == .GET || request.method == .HEAD else { return .now(Self.methodNotAllowed(request.method)) }
        return handler(request)
    }

    /// The JSON 404 for a path no route serves.
    public static func notFound(_ path: String) -> HTTPResponse {
        .error(.notFound, code: "not_found", message: "no endpoint at \(printable(path))")
    }

    /// The 405 for a method other than GET and HEAD, with `Allow`.
    public static func methodNotAllowed(_ method: HTTPMethod) -> HTTPResponse {
        .error(
            .methodNotAllowed, code: "method_not_allowed", message: "\(method.rawValue) is not allowed here; use GET or HEAD",
            headers: ["Allow": "GET, HEAD"])
    }

    /// The path as it may be echoed back: bounded in length.
    static func printable(_ path: String) -> String {
        path.utf8.count <= 200 ? path : String(decoding: path.utf8.prefix(200), as: UTF8.self) + "..."
    }
}
