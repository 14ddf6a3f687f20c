import W3CTraceContext

/// A span that ended, as the exporter sends it (ids kept as W3C values: no allocation).
struct FinishedSpan: Sendable {
    /// What `SpanKind` is in OTLP.
    enum Kind: UInt64, Sendable {
        case `internal` = 1
        case server = 2
        case client = 3
        case producer = 4
        case consumer = 5
    }

    /// An attribute value OTLP can carry.
    enum Value: Sendable, Equatable {
        case string(String)
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case strings([String])
    }

    let traceID: TraceID
    let spanID: SpanID
    let parentSpanID: SpanID?
    let traceState: String
    let name: String
    let kind: Kind
    let startNanoseconds: UInt64
    let endNanoseconds: UInt64
    let attributes: [(key: String, value: Value)]
    /// `nil` for unset; else whether it failed and why.
    let status: (isError: Bool, message: String)?
}
