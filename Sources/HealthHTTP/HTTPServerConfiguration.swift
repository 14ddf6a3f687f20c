import NIOCore

/// Which requests the server logs.
public enum RequestLogPolicy: Sendable {
    /// None.
    case none
    /// Those answered with a status of 400 or more.
    case failures
    /// Every request.
    case all
}

/// Where the server listens and the limits it enforces.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind.
    public var host: String
    /// Port to bind; 0 picks a free one.
    public var port: Int
    /// An idle keep-alive connection is closed after this long.
    public var idleTimeout: TimeAmount
    /// Longest request line (method, target, version) accepted; longer gets 414.
    public var maxRequestLine: Int
    /// Largest total header size accepted; larger gets 431.
    public var maxHeaderBytes: Int
    /// Whether the server is draining (shutdown has begun): every response then says
    /// `Connection: close` and closes its connection, so keep-alive clients such as load
    /// balancers reconnect (to another instance) instead of holding on.
    public var isDraining: @Sendable () -> Bool = { false }
    /// Which requests get a line at `info` (method, path, status, client, query, time).
    public var requestLog = RequestLogPolicy.none
    /// Query parameters whose values the request log replaces with `********`.
    public var redactedQueryNames: Set<String> = []

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, idleTimeout: TimeAmount = .seconds(60),
        maxRequestLine: Int = 8192, maxHeaderBytes: Int = 16384
    ) {
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
    }
}
