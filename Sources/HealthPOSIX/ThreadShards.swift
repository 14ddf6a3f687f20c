#if canImport(Glibc)
import Glibc
#endif
public import Synchronization

/// A small number per thread, given out in the order threads first ask (a pthread key
/// holding it; no allocation).
public enum ThreadNumber {
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        return pthread_key_create(&key, nil) == 0 ? key : nil
    }()
    private static let next = Atomic<Int>(1)

    /// The calling thread's number.
    public static var current: Int {
        guard let key else { return 0 }
        if let stored = pthread_getspecific(key) { return Int(bitPattern: stored) - 1 }
        let number = next.wrappingAdd(1, ordering: .relaxed).oldValue
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: number))
        return number - 1
    }
}

/// A value kept in one copy per thread group, each behind a lock of its own, so that
/// threads recording on every request (the event loops) do not bounce one lock's cache
/// line between the cores; readers (a metrics scrape, the span exporter's schedule) visit
/// every shard. Two threads that share a shard are correct, only slower.
public struct ThreadShards<Value: Sendable>: Sendable {
    /// One shard: the value under its lock, padded past a cache line so that two shards
    /// never share one.
    public final class Shard: Sendable {
        /// The shard's value.
        public let value: Mutex<Value>
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

        init(_ value: sending Value) { self.value = Mutex(value) }
    }

    /// Every shard.
    public let shards: [Shard]
    /// The same shards, unretained (``shards`` keeps them alive): the calling thread's is
    /// reached without a retain and a release, which cost more than the counting or span
    /// recording done under its lock (an atomic on every request, its cache line shared
    /// with the lock's).
    @usableFromInline let unretained: [Unmanaged<Shard>]

    /// `count` shards, each starting as `initial()`.
    public init(count: Int, _ initial: () -> Value) {
        shards = (0..<max(1, count)).map { _ in Shard(initial()) }
        unretained = shards.map { Unmanaged.passUnretained($0) }
    }

    /// Runs `body` on the calling thread's shard, under its lock. (Inlinable: specialized
    /// where it is called, with no generic call on the request path.)
    @inlinable
    public func withCurrent<Result: Sendable>(_ body: (inout sending Value) -> sending Result) -> Result {
        unretained[ThreadNumber.current % unretained.count]._withUnsafeGuaranteedRef { $0.value.withLock(body) }
    }
}
