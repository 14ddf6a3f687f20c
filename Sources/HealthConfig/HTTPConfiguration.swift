/// `http`: server limits and the dialects it speaks.
public struct HTTPConfiguration: Sendable, Decodable {
    /// `http.idle_timeout`: seconds before an idle keep-alive connection is closed.
    public var idleTimeout = 60.0
    /// `http.max_request_line`: longest request line (method, target, version) in bytes.
    public var maxRequestLine = 8192
    /// `http.max_header_bytes`: largest total size of the request headers in bytes.
    public var maxHeaderBytes = 16384
    /// `http.native`: the `/health` API.
    public var native = NativeDialectConfiguration()

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case idleTimeout = "idle_timeout"
        case maxRequestLine = "max_request_line"
        case maxHeaderBytes = "max_header_bytes"
        case native
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        idleTimeout = try container.optional(.idleTimeout) ?? idleTimeout
        maxRequestLine = try container.optional(.maxRequestLine) ?? maxRequestLine
        maxHeaderBytes = try container.optional(.maxHeaderBytes) ?? maxHeaderBytes
        native = try container.optional(.native) ?? native
    }
}

/// `http.native`: the native API (impact-stack-observability's `/health`).
public struct NativeDialectConfiguration: Sendable, Decodable {
    /// How to answer `?checks=` names that match no check.
    public enum UnknownChecks: String, Sendable, Decodable, CaseIterable {
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

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, prefix
        case unknownChecks = "unknown_checks"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.optional(.enabled) ?? enabled
        prefix = try container.optional(.prefix) ?? prefix
        unknownChecks = try container.optional(.unknownChecks) ?? unknownChecks
    }
}
