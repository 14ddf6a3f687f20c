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
        let text = try readText(meminfo)
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
        let fields = try readText(loadavg).split(separator: " ")
        let index = window == 1 ? 0 : window == 5 ? 1 : 2
        guard fields.count > index, let average = Double(fields[index]) else {
            throw ProbeError("cannot read the load average from \(loadavg)")
        }
        return (average, max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }

    /// Seconds since `path` was last modified; `nil` when it does not exist.
    static func age(of path: String, now: Double = currentTime()) throws -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw ProbeError("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return now - modified
    }

    /// Seconds since 1970, from the wall clock.
    static func currentTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// A small text file from /proc, read whole with read(2).
    static func readText(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ProbeError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while bytes.count < 1 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw ProbeError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
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
