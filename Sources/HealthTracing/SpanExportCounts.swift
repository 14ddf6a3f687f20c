/// What the span exporter has done with the spans it was given, since start-up.
public struct SpanExportCounts: Sendable, Equatable {
    /// Spans the collector accepted (a 2xx answer to their export).
    public var exported = 0
    /// Spans dropped because the export queue (`OTEL_BSP_MAX_QUEUE_SIZE`) had no room:
    /// the collector is slower than the host makes spans.
    public var droppedQueueFull = 0
    /// Spans dropped with an export that failed (no answer within
    /// `OTEL_EXPORTER_OTLP_TIMEOUT`, a refused connection, a non-2xx answer); not retried.
    public var droppedExportFailed = 0
    /// Exports that failed.
    public var failedExports = 0
    /// Spans in full batches waiting for their export, now.
    public var queued = 0

    /// Every span dropped, for whatever reason.
    public var dropped: Int { droppedQueueFull + droppedExportFailed }

    /// No spans yet.
    public init() {}
}
