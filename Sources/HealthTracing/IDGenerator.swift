#if canImport(Glibc)
import Glibc
#endif

/// Random trace and span ids without a lock, an atomic or a system call each: one
/// xoshiro256** generator per thread (a pthread key), seeded from the system's
/// generator on the thread's first id. Every traced request draws four or more ids on
/// both event loop threads; a shared lock (and then a shared atomic counter) there
/// bounced one cache line between the cores on every draw. The ids need to be unique
/// and spread evenly for ratio sampling, not secret.
final class IDGenerator: Sendable {
    /// The process's generator (one pthread key, whatever the number of tracers).
    static let shared = IDGenerator()

    private let key: pthread_key_t?

    private init() {
        var key = pthread_key_t()
        // The destructor frees a thread's state when the thread ends.
        let created = pthread_key_create(&key) { state in
            state?.assumingMemoryBound(to: Xoshiro256StarStar.self).deinitialize(count: 1).deallocate()
        }
        self.key = created == 0 ? key : nil
    }

    func next() -> UInt64 {
        guard let key else {
            var system = SystemRandomNumberGenerator()  // no key to be had: the system's, per id
            return nonZero(system.next())
        }
        if let state = pthread_getspecific(key) {
            return nonZero(state.assumingMemoryBound(to: Xoshiro256StarStar.self).pointee.next())
        }
        var system = SystemRandomNumberGenerator()
        let state = UnsafeMutablePointer<Xoshiro256StarStar>.allocate(capacity: 1)
        state.initialize(to: Xoshiro256StarStar(seed: (system.next(), system.next(), system.next(), system.next())))
        pthread_setspecific(key, state)
        return nonZero(state.pointee.next())
    }

    /// An all-zero id is invalid in W3C trace context.
    private func nonZero(_ value: UInt64) -> UInt64 { value == 0 ? 1 : value }

    /// A `RandomNumberGenerator` view for W3CTraceContext's `random(using:)`.
    struct Source: RandomNumberGenerator {
        let generator: IDGenerator
        mutating func next() -> UInt64 { generator.next() }
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
