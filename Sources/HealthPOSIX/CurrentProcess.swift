#if canImport(Glibc)
import Glibc
#endif

/// Facts about this process, read from the C library: what `ProcessInfo` would answer,
/// without mapping FoundationEssentials into the serving process.
public enum CurrentProcess {
    /// The environment variables, as `environ` holds them now (a name set twice: the first).
    public static var environment: [String: String] {
        var variables: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if variables[name] == nil { variables[name] = String(text[text.index(after: equals)...]) }
            }
            cursor += 1
        }
        return variables
    }

    /// The command line, the program first.
    public static var arguments: [String] { CommandLine.arguments }

    /// The program's name: the last component of `argv[0]`.
    public static var name: String { arguments.first.map(FilePaths.lastComponent(of:)) ?? "healthhost" }

    /// `getpid()`.
    public static var identifier: Int { Int(getpid()) }

    /// The CPUs this process may run on: its affinity mask (`Cpus_allowed` in
    /// /proc/self/status, what `nproc` counts), else the CPUs online.
    public static var activeProcessorCount: Int {
        if let status = try? FileReading.text(atPath: "/proc/self/status", limit: 64 << 10),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        {
            let mask = line.dropFirst("Cpus_allowed:".count).filter { $0.isHexDigit }
            let count = mask.reduce(0) { $0 + (Int(String($1), radix: 16) ?? 0).nonzeroBitCount }
            if count > 0 { return count }
        }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
