import HealthCore

/// `GET /metrics`: the host in the Prometheus text format. At each scrape every
/// collector writes its families, in the order given: checks (``CheckMetrics``), plugins,
/// requests (``RequestMetrics``), the trace exporter when tracing is on, and
/// ``BuildInfoMetrics``. Each reads the state where it is kept; a scrape runs no check and
/// never waits for one.
///
/// ```swift
/// let exposition = MetricsExposition(collectors: [
///     CheckMetrics(sources: [.init(registry: registry, engine: engine)]),
///     requests,
///     BuildInfoMetrics(version: "0.1.0", swiftVersion: "6.3"),
/// ])
/// let body = exposition.render()
/// ```
public struct MetricsExposition: Sendable {
    private let collectors: [any MetricsCollector]

    /// An exposition of what `collectors` write, in their order.
    public init(collectors: [any MetricsCollector]) {
        self.collectors = collectors
    }

    /// The exposition's media type.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The whole exposition, as of now.
    public func render() -> String {
        var text = PrometheusText()
        for collector in collectors { collector.collect(into: &text) }
        return text.text
    }
}

/// `healthhost_build_info`: which healthhost and Swift runtime run.
public struct BuildInfoMetrics: MetricsCollector {
    private let version: String
    private let swiftVersion: String

    /// The series for healthhost `version` on Swift `swiftVersion`.
    public init(version: String, swiftVersion: String) {
        self.version = version
        self.swiftVersion = swiftVersion
    }

    /// Writes `healthhost_build_info`.
    public func collect(into out: inout PrometheusText) {
        out.family("healthhost_build_info", "gauge", help: "Always 1; the labels say which healthhost and Swift runtime run.")
        out.sample("healthhost_build_info", [("version", version), ("swift", swiftVersion)], 1)
    }
}
