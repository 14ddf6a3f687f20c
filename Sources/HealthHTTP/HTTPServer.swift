import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// An HTTP/1.1 server on SwiftNIO: keep-alive, pipelining, HEAD, limits on request line
/// and headers, idle connections closed. A `Service`: `run()` serves until graceful
/// shutdown (SIGTERM/SIGINT in a `ServiceGroup`) or ``stop()``.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 0), responder: routes, logger: logger)
/// let address = try await server.start()
/// try await server.run()
/// ```
public final class HTTPServer: Service, Sendable {
    private let configuration: HTTPServerConfiguration
    private let responder: any HTTPResponder
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    private struct State {
        var channel: (any Channel)?
        var port: Int?
        var isStopped = false
    }

    /// Creates a server; nothing is bound until ``start()`` or ``run()``.
    public init(
        configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.group = group
    }

    /// Binds the listening socket (once) and returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        // The stored port, not the channel's address: a closed channel has none, and a
        // server stopped before `run()` must not bind again.
        if let port = state.withLockedValue({ $0.port }) { return port }
        if state.withLockedValue({ $0.isStopped }) { throw ServerStopped() }
        let configuration = self.configuration
        let responder = self.responder
        let accessLog =
            configuration.requestLog == .none
            ? nil
            : AccessLog(
                logger: logger, redactedQueryNames: configuration.redactedQueryNames,
                onlyFailures: configuration.requestLog == .failures)
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: configuration.idleTimeout))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(HTTPConnectionHandler(responder: responder, configuration: configuration, accessLog: accessLog))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let port = bound.localAddress?.port ?? configuration.port
        let stoppedMeanwhile = state.withLockedValue { state in
            state.channel = bound
            state.port = port
            return state.isStopped
        }
        if stoppedMeanwhile { try? await bound.close() }
        logger.info("listening", metadata: ["http.address": "\(configuration.host):\(port)"])
        return port
    }

    /// Serves until graceful shutdown or ``stop()``.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await serve()
        } onGracefulShutdown: {
            Task { await self.stop() }
        }
    }

    /// Serves until ``stop()``, ignoring graceful shutdown (for callers that stop the
    /// server themselves, after a drain delay).
    public func serve() async throws {
        if state.withLockedValue({ $0.isStopped }) { return }
        try await start()
        guard let channel = state.withLockedValue({ $0.channel }) else { return }
        try await channel.closeFuture.get()
        logger.info("stopped listening")
    }

    /// Closes the listening socket; ``run()`` then returns.
    public func stop() async {
        let channel = state.withLockedValue { state in
            state.isStopped = true
            return state.channel
        }
        try? await channel?.close()
    }

    /// ``start()`` was called after ``stop()``.
    public struct ServerStopped: Error, CustomStringConvertible {
        public var description: String { "the server was stopped" }
    }
}
