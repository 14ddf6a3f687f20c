import HealthCore

/// The constant fields of check spans (the name `check NAME`, kind INTERNAL, and the
/// attributes `check.name`, `check.plugin`, `check.source`), encoded once per configured
/// check, and the few values the others take. Built before serving and only read after:
/// no lock on the request path.
public struct CheckSpanCatalog: Sendable {
    /// By check name. A name given twice (the host's config refuses that, checks and
    /// dependencies alike) is left out, so its spans, like those of a check the catalog was
    /// not given, are encoded from the check as they end.
    private let entries: [String: EncodedSpanFields]

    /// The catalog of `checks`.
    public init(checks: [RegisteredCheck]) {
        entries = Dictionary(grouping: checks, by: \.name).compactMapValues { named in
            guard named.count == 1, let check = named.first else { return nil }
            return EncodedSpanFields(name: "check \(check.name)", kind: .internal) { writer in
                Self.write(name: check.name, plugin: check.pluginName, source: check.source, into: &writer)
            }
        }
    }

    /// The encoded fields of the check named `name`, when the catalog has them.
    func fields(of name: String) -> EncodedSpanFields? { entries[name] }

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
