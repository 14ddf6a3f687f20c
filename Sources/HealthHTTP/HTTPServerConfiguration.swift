public import NIOCore

/// Which requests the server logs (`logging.access`).
public enum RequestLogPolicy: String, Sendable, CaseIterable {
    /// None (the default).
    case none
    /// Those answered with a status of 400 or more: who fails, without the noise of the
    /// probes that pass (flask-management-endpoints' `no_log`, for the passing).
    case failures
    /// Every request.
    case all
}

/// Where the server listens and the limits it enforces. Every phase of a connection is
/// timed: a request head must arrive within ``headerTimeout`` of its first byte, a body
/// (which no endpoint reads) is drained for at most ``bodyTimeout``, a keep-alive
/// connection with nothing to do closes after ``idleTimeout``, and so does one whose
/// client stops reading its responses.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind.
    public var host: String
    /// Port to bind; 0 picks a free one.
    public var port: Int
    /// An idle keep-alive connection is closed after this long; so is a connection whose
    /// client reads none of its pending responses for this long.
    public var idleTimeout: TimeAmount
    /// The request line and headers must arrive within this long of the request's first
    /// byte; else the connection is closed (slowloris).
    public var headerTimeout: TimeAmount = .seconds(10)
    /// A request that declares a body is answered at once and its connection closed; the
    /// body is read and dropped for at most this long first, so the answer is not lost to
    /// a TCP reset.
    public var bodyTimeout: TimeAmount = .seconds(5)
    /// Longest request line (method, target, version) accepted; longer gets 414.
    public var maxRequestLine: Int
    /// Largest total header size accepted; larger gets 431.
    public var maxHeaderBytes: Int
    /// Open connections at most. A connection accepted at the cap takes the room of the
    /// keep-alive connection idle the longest (else of the one whose request head has been
    /// arriving the longest, past a grace of a quarter of ``headerTimeout``); it is closed
    /// at once only when every open connection is answering or has sent nothing yet.
    public var maxConnections: Int = 1024
    /// Open connections one client address may hold; past this its own idle or slow
    /// connections make room for its new ones, else a new one is closed at once. Nil: half
    /// of ``maxConnections``. Loopback clients (127.0.0.0/8, ::1) have no share unless
    /// ``loopbackHasAShare``: behind them may be a sidecar proxy or a port-forward that
    /// stands for many clients.
    public var maxConnectionsPerClient: Int?
    /// Whether loopback clients are held to ``maxConnectionsPerClient`` too.
    public var loopbackHasAShare = false
    /// Pipelined requests one connection may have waiting for their answers; past this
    /// (or past the write buffer's high-water mark) the server stops reading from it.
    public var maxPendingResponses: Int = 16
    /// After ``HTTPServer/stop()``: how long requests in flight may take to finish before
    /// their connections are closed.
    public var drainTimeout: TimeAmount = .seconds(10)
    /// Whether the server is draining (shutdown has begun): every response then says
    /// `Connection: close` and closes its connection, so keep-alive clients such as load
    /// balancers reconnect (to another instance) instead of holding on.
    public var isDraining: @Sendable () -> Bool = { false }
    /// Which requests get a line at `info` (method, path, status, client, query, time).
    public var requestLog = RequestLogPolicy.none
    /// Query parameters whose values the request log replaces with `********`.
    public var redactedQueryNames: Set<String> = []
    /// Values the request log replaces with `********` wherever they appear in a line
    /// (the shared secret, which a client may send in any parameter or in the path).
    /// Called per logged line, so a reloaded secret is hidden at once.
    public var redactedValues: @Sendable () -> [String] = { [] }

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
