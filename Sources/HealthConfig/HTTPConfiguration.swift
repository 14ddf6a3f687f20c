/// `http`: server limits and the dialects it speaks.
public struct HTTPConfiguration: Sendable, Decodable {
    /// `http.idle_timeout`: seconds before an idle keep-alive connection is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// `http.header_timeout`: seconds from a request's first byte (or a new connection)
    /// until its head must be complete; else the connection is closed.
    public var headerTimeout: Duration = .seconds(10)
    /// `http.body_timeout`: seconds a request body (which no endpoint reads) is read and
    /// dropped after the answer before the connection closes.
    public var bodyTimeout: Duration = .seconds(5)
    /// `http.max_connections`: open connections at most; more are closed at once.
    public var maxConnections = 1024
    /// `http.drain_timeout`: seconds requests in flight may take to finish once the
    /// listener closes at shutdown.
    public var drainTimeout: Duration = .seconds(10)
    /// `http.max_request_line`: longest request line (method, target, version) in bytes.
    public var maxRequestLine = 8192
    /// `http.max_header_bytes`: largest total size of the request headers in bytes.
    public var maxHeaderBytes = 16384
    /// `http.shutdown_delay`: seconds between SIGTERM and closing the listener, during
    /// which readiness endpoints fail and everything else is served (default 0; 5 to 10
    /// in Kubernetes, so endpoints are updated before the pod stops answering).
    public var shutdownDelay: Duration = .zero
    /// `http.event_loops`: threads that serve HTTP; unset is one per CPU core. One loop
    /// halves p99 latency on small machines at the same throughput (bench/README.md).
    public var eventLoops: Int?
    /// `http.native`: the `/health` API.
    public var native = NativeDialectConfiguration()
    /// `http.kubernetes`: `/livez`, `/readyz`, `/startupz`.
    public var kubernetes = KubernetesDialectConfiguration()
    /// `http.runscope`: `/healthcheck` and `/environment`.
    public var runscope = RunscopeDialectConfiguration()
    /// `http.actuator`: `/z/...`.
    public var actuator = ActuatorDialectConfiguration()
    /// `http.heartbeat`: `/.well-known/heartbeat/...`.
    public var heartbeat = HeartbeatDialectConfiguration()
    /// `http.metrics`: `/metrics` for Prometheus.
    public var metrics = MetricsEndpointConfiguration()

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case idleTimeout = "idle_timeout"
        case headerTimeout = "header_timeout"
        case bodyTimeout = "body_timeout"
        case maxConnections = "max_connections"
        case drainTimeout = "drain_timeout"
        case maxRequestLine = "max_request_line"
        case maxHeaderBytes = "max_header_bytes"
        case shutdownDelay = "shutdown_delay"
        case eventLoops = "event_loops"
        case native, kubernetes, runscope, actuator, heartbeat, metrics
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        idleTimeout = try container.seconds(.idleTimeout, .positive) ?? idleTimeout
        headerTimeout = try container.seconds(.headerTimeout, .positive) ?? headerTimeout
        bodyTimeout = try container.seconds(.bodyTimeout, .positive) ?? bodyTimeout
        maxConnections = try container.optional(.maxConnections) ?? maxConnections
        drainTimeout = try container.seconds(.drainTimeout, .positive) ?? drainTimeout
        maxRequestLine = try container.optional(.maxRequestLine) ?? maxRequestLine
        maxHeaderBytes = try container.optional(.maxHeaderBytes) ?? maxHeaderBytes
        shutdownDelay = try container.seconds(.shutdownDelay, .nonNegative) ?? shutdownDelay
        eventLoops = try container.optional(.eventLoops)
        native = try container.optional(.native) ?? native
        kubernetes = try container.optional(.kubernetes) ?? kubernetes
        runscope = try container.optional(.runscope) ?? runscope
        actuator = try container.optional(.actuator) ?? actuator
        heartbeat = try container.optional(.heartbeat) ?? heartbeat
        metrics = try container.optional(.metrics) ?? metrics
    }
}

/// `http.native`: the native API (impact-stack-observability's `/health`).
public struct NativeDialectConfiguration: Sendable, Decodable {
    /// How to answer `?checks=` names that match no check.
    public enum UnknownChecks: String, Sendable, CaseIterable, ConfigEnum {
        /// 400 with a JSON error naming them (the default).
        case reject
        /// Ignore them, as the seed library does.
        case ignore
    }

    /// `http.native.enabled`: serve the native API.
    public var enabled = true
    /// `http.native.prefix`: path prefix, e.g. `/health`.
    public var prefix = "/health"
    /// `http.native.unknown_checks`: `reject` or `ignore`.
    public var unknownChecks = UnknownChecks.reject
    /// `http.native.health_json`: answer `Accept: application/health+json` with the IETF
    /// draft's format (default true).
    public var healthJSON = true

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, prefix
        case unknownChecks = "unknown_checks"
        case healthJSON = "health_json"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.optional(.enabled) ?? enabled
        prefix = try container.optional(.prefix) ?? prefix
        unknownChecks = try container.optional(.unknownChecks) ?? unknownChecks
        healthJSON = try container.optional(.healthJSON) ?? healthJSON
    }
}
