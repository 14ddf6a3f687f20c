/// Spans waiting for their batch to fill: the pipeline's as ``SpanRecord``s (encoded at
/// export), any other span already encoded.
struct PendingSpans: Sendable {
    var records: [SpanRecord] = []
    var encoded = SpanWriter(reserving: 0)

    var count: Int { records.count + encoded.count }

    /// Writes the spans as `ScopeSpans.spans` fields.
    func write(into writer: inout SpanWriter) {
        for record in records { writer.record(record) }
        writer.append(encoded)
    }
}
