import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Reads the machine's state: file systems, /proc/meminfo, /proc/loadavg, file times.
enum SystemProbes {
    struct DiskSpace {
        let availableBytes: Double
        let totalBytes: Double
        var freePercent: Double { totalBytes > 0 ? availableBytes / totalBytes * 100 : 0 }
    }

    /// Space available to unprivileged users at `path` (what `df` shows as "Avail").
    static func diskSpace(at path: String) throws -> DiskSpace {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else {
            throw ProbeError("cannot read the file system at \(path): \(String(cString: strerror(errno)))")
        }
        let unit = Double(stats.f_frsize)
        return DiskSpace(availableBytes: Double(stats.f_bavail) * unit, totalBytes: Double(stats.f_blocks) * unit)
    }

    struct Memory {
        let availableBytes: Double
        let totalBytes: Double
        var availablePercent: Double { totalBytes > 0 ? availableBytes / totalBytes * 100 : 0 }
    }

    /// `MemAvailable` and `MemTotal` from /proc/meminfo (the kernel's own estimate of
    /// memory available to new work, page cache included).
    static func memory(meminfo: String = "/proc/meminfo") throws -> Memory {
        let text = try String(contentsOfFile: meminfo, encoding: .utf8)
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let number = Double(parts[1]) else { continue }
            values[String(parts[0].dropLast())] = number * 1024  // kB
        }
        guard let available = values["MemAvailable"], let total = values["MemTotal"] else {
            throw ProbeError("\(meminfo) has no MemAvailable/MemTotal lines")
        }
        return Memory(availableBytes: available, totalBytes: total)
    }

    /// The load average over 1, 5 or 15 minutes, and the number of online CPUs.
    static func load(window: Int, loadavg: String = "/proc/loadavg") throws -> (average: Double, cores: Int) {
        let fields = try String(contentsOfFile: loadavg, encoding: .utf8).split(separator: " ")
        let index = window == 1 ? 0 : window == 5 ? 1 : 2
        guard fields.count > index, let average = Double(fields[index]) else {
            throw ProbeError("cannot read the load average from \(loadavg)")
        }
        return (average, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Seconds since `path` was last modified; `nil` when it does not exist.
    static func age(of path: String, now: Date = Date()) throws -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw ProbeError("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return now.timeIntervalSince1970 - modified
    }
}

struct ProbeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Sizes and durations for people: "12.3 GB", "4 min 10 s".
enum Human {
    static func bytes(_ value: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB"]
        var amount = value
        var unit = 0
        while amount >= 1024 && unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int(amount)) B" : "\(fixed(amount, 1)) \(units[unit])"
    }

    static func seconds(_ value: Double) -> String {
        let total = Int(value.rounded())
        if total < 120 { return "\(total) s" }
        if total < 7200 { return "\(total / 60) min \(total % 60) s" }
        return "\(total / 3600) h \(total % 3600 / 60) min"
    }

    static func percent(_ value: Double) -> String { "\(fixed(value, 1)) %" }

    /// `value` with `digits` decimals, rounded half away from zero: `fixed(2.345, 2)` is
    /// "2.35" (what `%.2f` printed, without Foundation's `String(format:)`).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 1e18 else { return "\(value)" }
        let whole = Int(scaled) / Int(scale)
        let fraction = String(Int(scaled) % Int(scale))
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        return sign + String(whole) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
