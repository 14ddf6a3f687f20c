import HealthDialects
import HealthHTTP
import NIOHTTP1

/// A responder for transport tests: exact paths, each answering GET and HEAD with a
/// handler of the test's, 404 and 405 as the host's ``RoutePipeline`` answers them. The
/// host routes through the pipeline only; this serves the tests that exercise the server
/// and the connection with replies of their own (slow, hanging, prepared).
struct RouteTable: HTTPResponder {
    typealias Handler = @Sendable (HTTPRequest) -> HTTPReply

    private var routes: [String: Handler] = [:]

    /// Serves `path` with `handler`; a later registration of the same path replaces it.
    mutating func get(_ path: String, _ handler: @escaping Handler) {
        routes[path] = handler
    }

    func respond(to request: HTTPRequest) -> HTTPReply {
        guard let handler = routes[request.path] else { return .now(RoutePipeline.notFound(request.path)) }
        guard request.method == .GET || request.method == .HEAD else {
            return .now(RoutePipeline.methodNotAllowed(request.method))
        }
        return handler(request)
    }
}
