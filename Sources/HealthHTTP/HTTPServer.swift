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
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

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
        if let port = channel.withLockedValue({ $0?.localAddress?.port }) { return port }
        let configuration = self.configuration
        let responder = self.responder
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
                    try sync.addHandler(HTTPConnectionHandler(responder: responder, configuration: configuration))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        channel.withLockedValue { $0 = bound }
        let port = bound.localAddress?.port ?? configuration.port
        logger.info("listening", metadata: ["http.address": "\(configuration.host):\(port)"])
        return port
    }

    /// Serves until graceful shutdown or ``stop()``.
    public func run() async throws {
        try await start()
        guard let channel = channel.withLockedValue({ $0 }) else { return }
        try await withGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        logger.info("stopped listening")
    }

    /// Closes the listening socket; ``run()`` then returns.
    public func stop() async {
        guard let channel = channel.withLockedValue({ $0 }) else { return }
        try? await channel.close()
    }
}
