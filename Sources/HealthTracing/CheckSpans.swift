public import HealthCore
import HealthOTLP

/// The constant fields of check spans (the name `check NAME`, kind INTERNAL, and the
/// attributes `check.name`, `check.plugin`, `check.source`), encoded once per configured
/// check, and the few values the others take. Built before serving and only read after:
/// no lock on the request path.
public struct CheckSpanCatalog: Sendable {
    /// The checks' names and encoded fields, in one order. A name given twice (the host's
    /// config refuses that, checks and dependencies alike) is left out, so its spans, like
    /// those of a check the catalog was not given, are encoded from the check as they end.
    private let names: [String]
    private let entries: [EncodedSpanFields]
    /// An open-addressing table of indices into `names` (−1 empty), a power of two at
    /// least twice their count, by an FNV-1a hash of the name's UTF-8: the lookup is two
    /// per check span of every traced request, and `Dictionary`'s seeded SipHash was most of
    /// its cost (a differential profile, traced against untraced `/health/`).
    private let slots: [Int32]

    /// The catalog of `checks`.
    public init(checks: [RegisteredCheck]) {
        let unique = Dictionary(grouping: checks, by: \.name).compactMap { named -> RegisteredCheck? in
            named.value.count == 1 ? named.value.first : nil
        }
        names = unique.map(\.name)
        entries = unique.map { check in
            EncodedSpanFields(name: "check \(check.name)", kind: .internal) { writer in
                Self.write(name: check.name, plugin: check.pluginName, source: check.source, into: &writer)
            }
        }
        var size = 4
        while size < 2 * unique.count { size *= 2 }
        var slots = [Int32](repeating: -1, count: size)
        for (index, name) in names.enumerated() {
            var slot = Self.hash(name) & (size - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(index)
        }
        self.slots = slots
    }

    /// The encoded fields of the check named `name`, when the catalog has them.
    func fields(of name: String) -> EncodedSpanFields? {
        let mask = slots.count - 1
        var slot = Self.hash(name) & mask
        while true {
            let index = Int(slots[slot])
            guard index >= 0 else { return nil }
            if names[index] == name { return entries[index] }
            slot = (slot + 1) & mask
        }
    }

    /// FNV-1a over the UTF-8 of `name`, as a non-negative Int.
    private static func hash(_ name: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: hash >> 1)
    }

    static func write(name: String, plugin: String, source: String, into writer: inout ProtobufWriter) {
        writer.attribute("check.name", name)
        writer.attribute("check.plugin", plugin)
        writer.attribute("check.source", source)
    }
}

/// The values of a check span's attributes that vary: few enough to encode in advance.
enum CheckSpanAttributes {
    /// `check.cached` false, true.
    static let cached = [false, true].map { flag in EncodedSpanFields { $0.attribute("check.cached", flag) } }
    /// `check.timed_out` false, true.
    static let timedOut = [false, true].map { flag in EncodedSpanFields { $0.attribute("check.timed_out", flag) } }
    /// `check.status` by `CheckStatus.rawValue` (pass, warn, fail).
    static let status = [CheckStatus.pass, .warn, .fail].map { status in
        EncodedSpanFields { $0.attribute("check.status", status.description) }
    }
}
