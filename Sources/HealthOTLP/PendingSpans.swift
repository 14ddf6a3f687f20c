/// Spans waiting for their batch to fill: the pipeline's as ``SpanRecord``s (encoded at
/// export), any other span already encoded.
package struct PendingSpans: Sendable {
    package var records: [SpanRecord] = []
    package var encoded = SpanWriter(reserving: 0)

    /// No spans.
    package init() {}

    package var count: Int { records.count + encoded.count }

    /// Writes the spans as `ScopeSpans.spans` fields.
    package func write(into writer: inout SpanWriter) {
        for record in records { writer.record(record) }
        writer.append(encoded)
    }

    /// Room for a batch of `batchSize` records when none are waiting (no regrowing on the
    /// request path), at most 1 MiB up front whatever OTEL_BSP_MAX_EXPORT_BATCH_SIZE says:
    /// a bigger batch grows.
    package mutating func reserveRecords(forBatchOf batchSize: Int) {
        guard records.isEmpty else { return }
        records.reserveCapacity(min(batchSize, (1 << 20) / MemoryLayout<SpanRecord>.stride))
    }

    /// The spans, leaving none, when they make a batch of `batchSize`; else `nil`.
    package mutating func takeBatch(of batchSize: Int) -> PendingSpans? {
        guard count >= batchSize else { return nil }
        defer { self = PendingSpans() }
        return self
    }
}
