/// Where the tracing side hands finished spans: the one interface between the tracer
/// (HealthTracing) and the OTLP exporter (``SpanExporter``). Spans arrive encoded or as
/// ``SpanRecord``s to be encoded at export, one request's together.
package protocol SpanExporting: Sendable {
    /// Spans exported, queued and dropped, and failed exports, so far.
    var counts: SpanExportCounts { get }
    /// Queues `count` spans that `write` adds (one request's), in the same batch.
    func record(count: Int, _ write: (inout PendingSpans) -> Void)
    /// Stops exporting at once, dropping what is queued.
    func stop()
    /// Exports what is queued and stops; returns when done or after `timeout`.
    func shutdown(timeout: Duration) async
}

extension SpanExporting {
    /// Queues one span record (a request's only span).
    package func record(_ record: SpanRecord) {
        withUnsafePointer(to: record) { self.record(UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Queues a request's span records, made before any lock is taken (only their copy
    /// happens under it).
    package func record(_ records: UnsafeBufferPointer<SpanRecord>) {
        record(count: records.count) { $0.records.append(contentsOf: records) }
    }

    /// Queues spans encoded already (a ``SpanWriter``'s).
    package func enqueue(_ spans: SpanWriter) {
        record(count: spans.count) { $0.encoded.append(spans) }
    }
}
