import Synchronization

/// Random trace and span ids without a system call each: xoshiro256** seeded once from
/// the system's generator (a `getrandom` per id showed on the traced hot path). The ids
/// need to be unique and unpredictable enough for sampling, not secret.
final class IDGenerator: Sendable {
    private let state: Mutex<Xoshiro256StarStar>

    init() {
        var system = SystemRandomNumberGenerator()
        state = Mutex(Xoshiro256StarStar(seed: (system.next(), system.next(), system.next(), system.next())))
    }

    func next() -> UInt64 { state.withLock { $0.next() } }

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
