import HealthCore

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

/// The export queue's entrance, one shard per thread that records spans: each event
/// loop thread appends to its own shard under a lock nobody else takes (but the exporter,
/// once a schedule delay), so the loops no longer bounce one lock's cache line between
/// the cores on every traced request; a shard goes to the exporter whole when it holds a
/// batch. Shards enough that the event loops and the concurrency pool's threads (a few
/// per core) seldom share one.
typealias SpanShards = ThreadShards<PendingSpans>

extension ThreadShards where Value == PendingSpans {
    static let count = 16

    init() { self.init(count: Self.count) { PendingSpans() } }
}
