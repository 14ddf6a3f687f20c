public import HealthCore

/// Writes the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE`
/// once per family, then its samples, label values escaped (`\`, `"`, newline). What
/// each ``MetricsCollector`` writes into.
public struct PrometheusText: Sendable {
    /// The exposition so far.
    public private(set) var text = ""

    /// An empty exposition.
    public init() {}

    /// Starts a metric family; `type` is `counter`, `gauge` or `histogram`.
    public mutating func family(_ name: String, _ type: String, help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type)\n"
    }

    /// One sample.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{"
            for (index, (label, labelValue)) in labels.enumerated() {
                if index > 0 { text += "," }
                text += "\(label)=\"\(Self.escapeLabel(labelValue))\""
            }
            text += "}"
        }
        text += " \(Self.format(value))\n"
    }

    /// One sample of a whole number.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Int) {
        sample(name, labels, Double(value))
    }

    /// A histogram's `_bucket`, `_sum` and `_count` samples.
    public mutating func histogram(_ name: String, _ labels: [(String, String)], _ histogram: DurationHistogram) {
        for (bound, count) in histogram.cumulative {
            sample("\(name)_bucket", labels + [("le", bound.isInfinite ? "+Inf" : Self.format(bound))], count)
        }
        sample("\(name)_sum", labels, histogram.sum)
        sample("\(name)_count", labels, histogram.count)
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func escapeLabel(_ value: String) -> String {
        var escaped = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    private static func escapeHelp(_ value: String) -> String {
        value.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
