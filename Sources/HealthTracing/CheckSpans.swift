import HealthCore
import W3CTraceContext

extension HostTracer {
    /// A span per check report, children of `parent`, encoded at once and queued with
    /// `parent` when it ends (one trip to the queue per request). A run this request
    /// started or joined spans the run's own time; a stored answer is an instant at `now`
    /// (`check.cached`). `checks[i]` is the check of `reports[i]`; `catalog` holds the
    /// checks' constant attributes.
    public func recordChecks(
        of parent: HostSpan, reports: [CheckReport], checks: [RegisteredCheck], catalog: CheckSpanCatalog, now: UInt64
    ) {
        guard parent.isRecording, !reports.isEmpty else { return }
        let context = parent.ownContext
        let traceState = context.traceStateHeaderValue
        var random = IDGenerator.Source(generator: ids)
        var spans = SpanWriter(reserving: reports.count)
        for (index, report) in reports.enumerated() {
            let start: UInt64
            let end: UInt64
            if report.isCached {
                (start, end) = (now, now)
            } else {
                end = UInt64(max(0, report.finishedAt.timeIntervalSince1970 * 1e9))
                start = end - min(end, UInt64(max(0, report.duration.seconds * 1e9)))
            }
            let status = report.result.status
            let constant = catalog.attributes(of: report.name)
            spans.span(
                traceID: context.traceID, spanID: SpanID.random(using: &random), parentSpanID: context.spanID,
                traceState: traceState, namePrefix: "check ", name: report.name, kind: .internal, start: start, end: end,
                status: status == .fail ? (true, "") : nil
            ) { attributes in
                if let constant {
                    attributes.append(encoded: constant.bytes)  // check.name, check.plugin, check.source
                } else {
                    let check = index < checks.count ? checks[index] : nil
                    CheckSpanCatalog.write(
                        name: report.name, plugin: check?.pluginName ?? "", source: check?.source ?? "", into: &attributes)
                }
                attributes.append(encoded: CheckSpanAttributes.cached[report.isCached ? 1 : 0].bytes)
                attributes.append(encoded: CheckSpanAttributes.status[status.rawValue].bytes)
                attributes.append(encoded: CheckSpanAttributes.timedOut[report.isTimedOut ? 1 : 0].bytes)
            }
        }
        parent.adopt(spans)
    }
}

/// The constant attributes of check spans (`check.name`, `check.plugin`,
/// `check.source`), encoded once per configured check, and the few values the others
/// take. Built before serving and only read after: no lock on the request path.
public struct CheckSpanCatalog: Sendable {
    /// By check name. A name given twice (the host's config refuses that, checks and
    /// dependencies alike) is left out, so its spans, like those of a check the catalog was
    /// not given, are encoded from the check as they end.
    private let entries: [String: EncodedAttributes]

    /// The catalog of `checks`.
    public init(checks: [RegisteredCheck]) {
        entries = Dictionary(grouping: checks, by: \.name).compactMapValues { named in
            guard named.count == 1, let check = named.first else { return nil }
            return EncodedAttributes { writer in
                Self.write(name: check.name, plugin: check.pluginName, source: check.source, into: &writer)
            }
        }
    }

    /// The encoded attributes of the check named `name`, when the catalog has them.
    func attributes(of name: String) -> EncodedAttributes? { entries[name] }

    static func write(name: String, plugin: String, source: String, into writer: inout ProtobufWriter) {
        writer.attribute("check.name", name)
        writer.attribute("check.plugin", plugin)
        writer.attribute("check.source", source)
    }
}

/// The values of a check span's attributes that vary: few enough to encode in advance.
enum CheckSpanAttributes {
    /// `check.cached` false, true.
    static let cached = [false, true].map { flag in EncodedAttributes { $0.attribute("check.cached", flag) } }
    /// `check.timed_out` false, true.
    static let timedOut = [false, true].map { flag in EncodedAttributes { $0.attribute("check.timed_out", flag) } }
    /// `check.status` by `CheckStatus.rawValue` (pass, warn, fail).
    static let status = [CheckStatus.pass, .warn, .fail].map { status in
        EncodedAttributes { $0.attribute("check.status", status.description) }
    }
}
