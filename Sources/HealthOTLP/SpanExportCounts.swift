/// What the span exporter has done with the spans it was given, since start-up.
public struct SpanExportCounts: Sendable, Equatable {
    /// Spans the collector accepted (a 2xx answer to their export).
    public var exported = 0
    /// Spans dropped because the export queue (`OTEL_BSP_MAX_QUEUE_SIZE`) had no room:
    /// the collector is slower than the host makes spans.
    public var droppedQueueFull = 0
    /// Spans dropped with an export that failed: a non-2xx answer that is not transient,
    /// or a transient failure (429, 502, 503, 504, a refused or broken connection) that
    /// lasted past `OTEL_EXPORTER_OTLP_TIMEOUT`.
    public var droppedExportFailed = 0
    /// Exports that failed.
    public var failedExports = 0
    /// Attempts made again after a transient failure.
    public var retries = 0
    /// Spans in full batches waiting for their export, now.
    public var queued = 0

    /// Every span dropped, for whatever reason.
    public var dropped: Int { droppedQueueFull + droppedExportFailed }

    /// No spans yet.
    public init() {}
}
