import Synchronization

/// Random-looking trace and span ids without a lock or a system call each: a counter
/// stepped atomically, mixed by SplitMix64's finaliser (a bijection, so no id repeats
/// within 2^64) from a start drawn once from the system's generator. The ids need to be
/// unique and spread evenly for ratio sampling, not secret. A shared lock here (and the
/// `getrandom` per id before it) showed on the traced hot path: every request draws
/// three or more, from both event loop threads.
final class IDGenerator: Sendable {
    private let counter: Atomic<UInt64>

    init() {
        var system = SystemRandomNumberGenerator()
        counter = Atomic(system.next())
    }

    func next() -> UInt64 {
        while true {
            let step = counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
            let id = Self.mix(step)
            if id != 0 { return id }  // an all-zero id is invalid in W3C trace context
        }
    }

    /// SplitMix64's output function (Steele, Lea and Flood, 2014).
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A `RandomNumberGenerator` view for W3CTraceContext's `random(using:)`.
    struct Source: RandomNumberGenerator {
        let generator: IDGenerator
        mutating func next() -> UInt64 { generator.next() }
    }
}
