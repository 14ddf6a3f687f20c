#if canImport(Glibc)
import Glibc
#endif
import Synchronization

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
/// batch.
struct SpanShards: Sendable {
    /// Shards enough that the event loops and the concurrency pool's threads (a few per
    /// core) seldom share one; sharing one is correct, only slower.
    static let count = 16

    /// One thread's spans, in an object of its own (padded past a cache line, so that two
    /// threads' shards never share one).
    final class Shard: Sendable {
        let pending = Mutex(PendingSpans())
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    let shards: [Shard]

    init() { shards = (0..<Self.count).map { _ in Shard() } }

    /// The calling thread's shard.
    var current: Shard { shards[ThreadNumber.current % Self.count] }
}

/// A small number per thread, given out in the order threads first ask (a pthread key
/// holding it; no allocation).
enum ThreadNumber {
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        return pthread_key_create(&key, nil) == 0 ? key : nil
    }()
    private static let next = Atomic<Int>(1)

    static var current: Int {
        guard let key else { return 0 }
        if let stored = pthread_getspecific(key) { return Int(bitPattern: stored) - 1 }
        let number = next.wrappingAdd(1, ordering: .relaxed).oldValue
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: number))
        return number - 1
    }
}
