#if canImport(Glibc)
import Glibc
#endif

/// A moment on the wall clock (UTC), as reports, pages and metrics show it: seconds since
/// 1970 with sub-microsecond precision. The host's own `Date`, so that the serving process
/// never maps FoundationEssentials (3.7 MB resident) for a timestamp; the monotonic
/// `ContinuousClock` still times everything that is compared.
public struct WallTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var timeIntervalSince1970: Double

    /// The moment `seconds` after 1970-01-01T00:00:00Z.
    public init(timeIntervalSince1970 seconds: Double) {
        timeIntervalSince1970 = seconds
    }

    /// Now, from `CLOCK_REALTIME`.
    public static var now: WallTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return WallTime(timeIntervalSince1970: Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9)
    }

    /// Seconds from `other` to this moment (negative when `other` is later).
    public func timeIntervalSince(_ other: WallTime) -> Double {
        timeIntervalSince1970 - other.timeIntervalSince1970
    }

    /// The moment `seconds` later.
    public func addingTimeInterval(_ seconds: Double) -> WallTime {
        WallTime(timeIntervalSince1970: timeIntervalSince1970 + seconds)
    }

    public static func < (left: WallTime, right: WallTime) -> Bool {
        left.timeIntervalSince1970 < right.timeIntervalSince1970
    }

    /// RFC 3339 / ISO 8601 in UTC: `2026-12-02T07:30:49Z`, or with milliseconds,
    /// `2026-12-02T07:30:49.123Z` (what `Date.ISO8601FormatStyle` writes).
    public func iso8601(fractionalSeconds: Bool = false) -> String {
        let milliseconds = Int64((timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = milliseconds.floorDivided(by: 1000)
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        var text = "\(Self.padded(year, 4))-\(Self.padded(month, 2))-\(Self.padded(day, 2))T"
        text += "\(Self.padded(secondOfDay / 3600, 2)):\(Self.padded(secondOfDay / 60 % 60, 2)):\(Self.padded(secondOfDay % 60, 2))"
        if fractionalSeconds { text += ".\(Self.padded(milliseconds - seconds * 1000, 3))" }
        return text + "Z"
    }

    public var description: String { iso8601(fractionalSeconds: true) }

    /// Year, month and day of the proleptic Gregorian calendar `days` after 1970-01-01
    /// (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
