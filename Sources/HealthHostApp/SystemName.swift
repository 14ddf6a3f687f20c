#if canImport(Glibc)
import Glibc
#endif

/// `uname(2)`, read once per use: the kernel's names for the system, node, release,
/// version and machine.
struct SystemName {
    let system: String
    let node: String
    let release: String
    let version: String
    let machine: String

    /// The running kernel's names.
    static func current() -> SystemName {
        var names = utsname()
        uname(&names)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { bytes in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return SystemName(
            system: text(names.sysname), node: text(names.nodename), release: text(names.release),
            version: text(names.version), machine: text(names.machine))
    }
}
