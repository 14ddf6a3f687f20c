/// Durations counted into buckets, as a Prometheus histogram needs them: a count per
/// upper bound (not cumulative), the number of observations and their sum.
public struct DurationHistogram: Sendable, Equatable {
    /// Upper bounds in seconds, ascending; a duration above the last counts only in
    /// ``count`` and ``sum`` (the `+Inf` bucket).
    public let bounds: [Double]
    /// Observations at or under each bound and above the previous one.
    public private(set) var buckets: [Int]
    /// Every observation.
    public private(set) var count = 0
    /// Their total, in seconds.
    public private(set) var sum = 0.0

    /// Bounds for check calls: a millisecond to a minute.
    public static let checkBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    /// Bounds for HTTP requests: half a millisecond to ten seconds.
    public static let requestBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// An empty histogram over `bounds`.
    public init(bounds: [Double]) {
        self.bounds = bounds
        self.buckets = [Int](repeating: 0, count: bounds.count)
    }

    /// Counts one observation.
    public mutating func record(seconds: Double) {
        if let index = bounds.firstIndex(where: { seconds <= $0 }) { buckets[index] += 1 }
        count += 1
        sum += seconds
    }

    /// Adds `other`'s observations: bucket by bucket over the same bounds; over other
    /// bounds they count in `+Inf` only (``count`` and ``sum``).
    public mutating func add(_ other: DurationHistogram) {
        if other.bounds == bounds {
            for index in buckets.indices { buckets[index] += other.buckets[index] }
        }
        count += other.count
        sum += other.sum
    }

    /// The cumulative counts Prometheus' `_bucket{le=...}` series carry, `+Inf` last.
    public var cumulative: [(bound: Double, count: Int)] {
        var running = 0
        var result: [(Double, Int)] = []
        for (bound, inBucket) in zip(bounds, buckets) {
            running += inBucket
            result.append((bound, running))
        }
        result.append((.infinity, count))
        return result
    }
}
