/// Every duration in the config is a number of seconds (`5`, `0.25`, `1e-3`) and becomes a
/// `Duration` here, once, as the file is decoded: the rest of the host never sees the
/// number. One rounding rule (to the nearest nanosecond, halves away from zero) replaces
/// the nine conversions to milliseconds that once sat where the values were used, some
/// truncating (`1.005` s became 1.004 s, `0.0005` s became no time at all) and some rounding.
///
/// ```swift
/// let timeout = try ConfigSeconds.duration(0.0015, accepting: .positive).get()  // 1.5 ms
/// ```
public enum ConfigSeconds {
    /// Which numbers of seconds a key accepts.
    public enum Range: Sendable {
        /// Above 0 (after rounding) and at most ``maximum``: timeouts, intervals, delays.
        case positive
        /// From 0 to ``maximum``: TTLs and delays where 0 means "none".
        case nonNegative
    }

    /// The longest duration any setting accepts: one day.
    public static let maximum: Duration = .seconds(86_400)

    /// Why a number cannot be a duration of `range`, in the words config errors use.
    public struct RangeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// `expected seconds above 0 and at most 86400, found -1.0`.
        public let description: String
    }

    /// `seconds` as a `Duration` rounded to the nearest nanosecond, or why it is out of
    /// `range` (not finite, negative, zero where zero is refused, or above a day). A
    /// positive number too small to survive the rounding (`1e-12`) is refused as zero.
    public static func duration(_ seconds: Double, accepting range: Range) -> Result<Duration, RangeError> {
        let limit = maximum.components.seconds
        let refused = RangeError(description: expectation(range) + ", found \(seconds)")
        // Checked before multiplying: only finite numbers up to a day get that far.
        guard seconds.isFinite, seconds >= 0, seconds <= Double(limit) else { return .failure(refused) }
        let duration = Duration.nanoseconds(Int64((seconds * 1e9).rounded(.toNearestOrAwayFromZero)))
        if range == .positive && duration == .zero { return .failure(refused) }
        return .success(duration)
    }

    /// What `range` accepts: `expected seconds from 0 to 86400`.
    static func expectation(_ range: Range) -> String {
        let limit = maximum.components.seconds
        switch range {
        case .positive: return "expected seconds above 0 and at most \(limit)"
        case .nonNegative: return "expected seconds from 0 to \(limit)"
        }
    }
}

extension Duration {
    /// The duration as config messages print seconds (`0.01`, `11.0`): for a number
    /// written with at most nine decimals, the very `Double` the operator wrote (whole
    /// nanoseconds up to a day are exact in a `Double`; one division rounds them).
    var configSeconds: Double {
        let (whole, attoseconds) = components
        return Double(whole * 1_000_000_000 + attoseconds / 1_000_000_000) / 1e9
    }
}

extension KeyedDecodingContainer {
    /// Decodes a number of seconds as a `Duration` (see ``ConfigSeconds``); a number
    /// outside `range` is an error naming the key, so later rules see only real durations.
    func seconds(_ key: Key, _ range: ConfigSeconds.Range) throws -> Duration? {
        guard let value = try decodeIfPresent(Double.self, forKey: key) else { return nil }
        switch ConfigSeconds.duration(value, accepting: range) {
        case .success(let duration): return duration
        case .failure(let error):
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: error.description)
        }
    }
}
