#if canImport(Glibc)
import Glibc
#endif
import W3CTraceContext

/// Random trace and span ids without a lock, an atomic or a system call each: one
/// xoshiro256** generator per thread (a pthread key), seeded from the system's
/// generator on the thread's first id. Every traced request draws four or more ids on
/// both event loop threads; a shared lock (and then a shared atomic counter) there
/// bounced one cache line between the cores on every draw. The ids need to be unique
/// and spread evenly for ratio sampling, not secret.
enum IDGenerator {
    /// The key of each thread's generator (one for the process, whatever the number of
    /// tracers); `nil` if the system had none to give.
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        // The destructor frees a thread's state when the thread ends.
        let created = pthread_key_create(&key) { state in
            state?.assumingMemoryBound(to: Xoshiro256StarStar.self).deinitialize(count: 1).deallocate()
        }
        return created == 0 ? key : nil
    }()

    /// The calling thread's generator, made and seeded on its first id.
    private static func threadGenerator() -> UnsafeMutablePointer<Xoshiro256StarStar>? {
        guard let key else { return nil }
        if let state = pthread_getspecific(key) { return state.assumingMemoryBound(to: Xoshiro256StarStar.self) }
        var system = SystemRandomNumberGenerator()
        let state = UnsafeMutablePointer<Xoshiro256StarStar>.allocate(capacity: 1)
        state.initialize(to: Xoshiro256StarStar(seed: (system.next(), system.next(), system.next(), system.next())))
        pthread_setspecific(key, state)
        return state
    }

    /// A `RandomNumberGenerator` view for W3CTraceContext's `random(using:)`: the
    /// calling thread's generator, looked up on the first id it gives (a request draws
    /// several). Use it on one thread.
    struct Source: RandomNumberGenerator {
        private var generator: UnsafeMutablePointer<Xoshiro256StarStar>?
        private var lookedUp = false

        init() {}

        mutating func next() -> UInt64 {
            if !lookedUp {
                generator = IDGenerator.threadGenerator()
                lookedUp = true
            }
            let value: UInt64
            if let generator {
                value = generator.pointee.next()
            } else {
                var system = SystemRandomNumberGenerator()  // no key to be had: the system's, per id
                value = system.next()
            }
            return value == 0 ? 1 : value  // an all-zero id is invalid in W3C trace context
        }

        /// A random span id (built here: W3CTraceContext's generic `random(using:)` is not
        /// specialized across the module boundary, a witness call per id).
        mutating func spanID() -> SpanID {
            withUnsafeBytes(of: next().bigEndian) { SpanID(bytes: $0.loadUnaligned(as: SpanID.Bytes.self)) }
        }

        /// A random trace id.
        mutating func traceID() -> TraceID {
            let words = (next().bigEndian, next().bigEndian)
            return withUnsafeBytes(of: words) { TraceID(bytes: $0.loadUnaligned(as: TraceID.Bytes.self)) }
        }
    }
}

/// xoshiro256** (Blackman and Vigna, 2018).
struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    init(seed: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = seed
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }
}
