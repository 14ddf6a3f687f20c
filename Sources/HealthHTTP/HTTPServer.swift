public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on SwiftNIO: NIOHTTP1's request decoder, then its own connection
/// handler (answers as bytes, in order, with backpressure; every phase timed), a cap
/// on open connections, and a drain on stop. A `Service`: `run()` serves until graceful
/// shutdown (SIGTERM/SIGINT in a `ServiceGroup`) or ``stop()``.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 0), responder: routes, logger: logger)
/// let address = try await server.start()
/// try await server.run()
/// ```
public final class HTTPServer: Service, Sendable {
    private let configuration: HTTPServerConfiguration
    /// Set when ``stop()`` begins: from then on every answer says `Connection: close`.
    private let stopping: NIOLockedValueBox<Bool>
    private let responder: any HTTPResponder
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox(State.notStarted)

    /// Where the server is in its one life: not started, listening, or stopped (having
    /// listened on `port`, with the connections `gate` kept, or never having bound).
    private enum State {
        case notStarted
        case listening(channel: any Channel, gate: ConnectionGate, port: Int)
        case stopped(port: Int?, gate: ConnectionGate?)

        var port: Int? {
            switch self {
            case .notStarted: nil
            case .listening(_, _, let port): port
            case .stopped(let port, _): port
            }
        }

        var gate: ConnectionGate? {
            switch self {
            case .notStarted: nil
            case .listening(_, let gate, _): gate
            case .stopped(_, let gate): gate
            }
        }

        var isStopped: Bool {
            if case .stopped = self { return true }
            return false
        }
    }

    /// Creates a server; nothing is bound until ``start()`` or ``run()``.
    public init(
        configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        var configuration = configuration
        let stopping = NIOLockedValueBox(false)
        self.stopping = stopping
        let draining = configuration.isDraining
        configuration.isDraining = { stopping.withLockedValue { $0 } || draining() }
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
                redactedValues: configuration.redactedValues,
                onlyFailures: configuration.requestLog == .failures)
        let gate = ConnectionGate(
            maxConnections: Self.connectionLimit(configuration, logger: logger), logger: logger,
            perClient: configuration.maxConnectionsPerClient, loopbackHasAShare: configuration.loopbackHasAShare,
            headGrace: .nanoseconds(configuration.headerTimeout.nanoseconds / 4))
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(gate)
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    do {
                        try Self.configureChild(channel)
                        try Self.configurePipeline(
                            channel, configuration: configuration, responder: responder, accessLog: accessLog,
                            activity: gate.activity(of: channel))
                    } catch {
                        gate.childSetupFailed(error)
                        throw error
                    }
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let port = bound.localAddress?.port ?? configuration.port
        let stoppedMeanwhile = state.withLockedValue { state -> Bool in
            if state.isStopped {
                state = .stopped(port: port, gate: gate)
                return true
            }
            state = .listening(channel: bound, gate: gate, port: port)
            return false
        }
        if stoppedMeanwhile { try? await bound.close() }
        logger.info("listening", metadata: ["http.address": "\(configuration.host):\(port)"])
        return port
    }

    /// Serves until graceful shutdown or ``stop()``.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.serve() }
            group.addTask {
                // Cancelled (the server failed or stopped by itself): nothing to stop.
                guard (try? await gracefulShutdown()) != nil else { return }
                await self.stop()
            }
            // Whichever ends first: the server (failed, stopped directly, or drained after
            // the shutdown task stopped it) leaves the shutdown task nothing to wait for.
            defer { group.cancelAll() }
            try await group.next()
            group.cancelAll()
            try await group.next()
        }
    }

    /// Serves until ``stop()``, ignoring graceful shutdown (for callers that stop the
    /// server themselves, after a drain delay). Returns once the connections have drained.
    public func serve() async throws {
        if state.withLockedValue({ $0.isStopped }) { return }
        try await start()
        guard case .listening(let channel, _, _) = state.withLockedValue({ $0 }) else { return }
        try await channel.closeFuture.get()
        logger.info("stopped listening")
        await drainConnections()
    }

    /// Closes the listening socket, then lets every open connection finish the requests
    /// it has in flight (their answers say `Connection: close`) and closes idle ones;
    /// what is still open after `drainTimeout` is closed. ``run()`` then returns.
    public func stop() async {
        stopping.withLockedValue { $0 = true }
        let channel = state.withLockedValue { state -> (any Channel)? in
            defer { state = .stopped(port: state.port, gate: state.gate) }
            if case .listening(let channel, _, _) = state { return channel }
            return nil
        }
        try? await channel?.close()
        await drainConnections()
    }

    /// The event loops the server's connections run on.
    public var eventLoopGroup: any EventLoopGroup { group }

    /// `host:port` once listening, else the configured address.
    public var listeningDescription: String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "\(host):\(state.withLockedValue { $0.port } ?? configuration.port)"
    }

    /// Whether ``stop()`` has begun.
    public var isStopping: Bool { stopping.withLockedValue { $0 } }

    /// The connections open now.
    public var openConnectionCount: Int { state.withLockedValue { $0.gate }?.openConnections.count ?? 0 }

    /// Tells every open connection to quiesce (NIO's `ChannelShouldQuiesceEvent`:
    /// finish what is in flight, then close) and waits for them all to close, or for
    /// `drainTimeout`, after which the rest are closed.
    private func drainConnections() async {
        guard let gate = state.withLockedValue({ $0.gate }) else { return }
        let connections = gate.openConnections
        guard !connections.isEmpty else { return }
        for connection in connections {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let allClosed = EventLoopFuture.andAllComplete(connections.map(\.closeFuture), on: group.next())
        let drainTimeout = configuration.drainTimeout
        let logger = self.logger
        await withTaskGroup(of: Bool.self) { waiting in
            waiting.addTask {
                try? await allClosed.get()
                return true
            }
            waiting.addTask {
                // Ends at the timeout, or at once when the drain is cancelled: either way
                // what is still open is closed (and the first task then ends too).
                try? await Task.sleep(for: .nanoseconds(drainTimeout.nanoseconds))
                return false
            }
            let closedInTime = await waiting.next() ?? true
            waiting.cancelAll()
            guard !closedInTime else { return }
            let stragglers = connections.filter { $0.isActive }
            logger.warning(
                "closing \(stragglers.count) connection(s) still busy after the drain timeout",
                metadata: ["http.drain_timeout": "\(drainTimeout)"])
            // Their close completes `allClosed`, so the other task ends too.
            for connection in stragglers { connection.close(promise: nil) }
        }
    }

    /// The options of one accepted connection, set here rather than as the bootstrap's
    /// child options so that a failure reaches ``ConnectionGate/childSetupFailed(_:)``
    /// and the log (NIO closes such a connection and reports it past every handler of
    /// ours). TCP_NODELAY is a TCP-level option: set at `SOL_SOCKET`, option 1 is
    /// `SO_DEBUG`, which needs CAP_NET_ADMIN and reset every connection of a host not
    /// run as root.
    static func configureChild(_ channel: any Channel) throws {
        guard let options = channel.syncOptions else { return }
        try options.setOption(.tcpOption(.tcp_nodelay), value: 1)
        try options.setOption(.allowRemoteHalfClosure, value: true)
        // Backpressure: one read cycle takes at most 4 (NIO's default maxMessagesPerRead)
        // x 16 KiB, and the handler stops reading while more than 64 KiB of answers wait
        // to be sent.
        try options.setOption(
            .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 512, initial: 2048, maximum: 16384))
        try options.setOption(.writeBufferWaterMark, value: .init(low: 16 * 1024, high: 64 * 1024))
    }

    /// The handlers of one connection: the request-line guard, NIOHTTP1's decoder
    /// (llhttp) with limits just above the configured ones, and the connection handler.
    static func configurePipeline(
        _ channel: any Channel, configuration: HTTPServerConfiguration, responder: any HTTPResponder,
        accessLog: AccessLog?, activity: ConnectionActivity? = nil
    ) throws {
        let sync = channel.pipeline.syncOperations
        var limits = NIOHTTPDecoderLimitConfiguration()
        // The URL counts as a field; the handler answers 414/431 precisely below these.
        limits.maxHeaderFieldSize = max(configuration.maxHeaderBytes, configuration.maxRequestLine) + 1
        limits.maxHeaderListSize = configuration.maxHeaderBytes + configuration.maxRequestLine + 1
        let connection = HTTPConnectionHandler(
            responder: responder, configuration: configuration, accessLog: accessLog, activity: activity,
            now: channel.eventLoop.now)
        try sync.addHandler(RequestHeadGuard(connection: connection, maxRequestLine: configuration.maxRequestLine))
        try sync.addHandler(
            ByteToMessageHandler(
                HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: limits)))
        try sync.addHandler(connection)
    }

    /// `maxConnections`, lowered to what the descriptor limit allows (after raising the
    /// soft limit to the hard one, as Go's runtime does), with a warning when lowered.
    static func connectionLimit(_ configuration: HTTPServerConfiguration, logger: Logger) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return configuration.maxConnections }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        // Descriptors for plugins, workers, logs and the listener.
        let reserve: rlim_t = 64
        let available = limit.rlim_cur > reserve ? Int(clamping: limit.rlim_cur - reserve) : 1
        guard available < configuration.maxConnections else { return configuration.maxConnections }
        logger.warning(
            "http.max_connections lowered to what the descriptor limit allows",
            metadata: [
                "http.max_connections": "\(configuration.maxConnections)", "limit.nofile": "\(limit.rlim_cur)",
                "http.effective_max_connections": "\(available)",
            ])
        return available
    }

    /// ``start()`` was called after ``stop()``.
    public struct ServerStopped: Error, CustomStringConvertible {
        public var description: String { "the server was stopped" }
    }
}
