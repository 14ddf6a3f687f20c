import HealthCore

/// `GET /metrics`: the host in the Prometheus text format, read from what the engines
/// already keep (``CheckStatistics``), the request counters and the loaded plugins. A
/// scrape runs no check and never waits for one: it reads state under the same short
/// locks a cached probe takes.
///
/// Labels are `check` and `plugin` (both fixed by the config), `route` (a served path,
/// or `unmatched`), `code`, `status`/`result` (pass, warn, fail): never a message, URL or
/// argument, so series stay few and no secret can become a label.
public struct MetricsExposition: Sendable {
    /// Checks and the engine that runs them.
    public struct CheckSource: Sendable {
        let registry: CheckRegistry
        let engine: CheckEngine

        /// Creates a source.
        public init(registry: CheckRegistry, engine: CheckEngine) {
            self.registry = registry
            self.engine = engine
        }
    }

    /// A loaded plugin, as `healthhost_plugin_info` and the worker series show it.
    public struct Plugin: Sendable {
        let name: String
        let version: String
        let abi: String
        let worker: (@Sendable () -> (deaths: Int, restarts: Int, quarantined: Bool)?)

        /// Creates a plugin entry; `worker` reads its worker's counts (`nil` when in-process).
        public init(
            name: String, version: String, abi: String,
            worker: @escaping @Sendable () -> (deaths: Int, restarts: Int, quarantined: Bool)?
        ) {
            self.name = name
            self.version = version
            self.abi = abi
            self.worker = worker
        }
    }

    /// What the trace exporter has done, as the `healthhost_trace_*` series show it.
    public struct TraceExport: Sendable {
        /// Spans the collector accepted.
        public var exported: Int
        /// Spans dropped because the export queue was full.
        public var droppedQueueFull: Int
        /// Spans dropped with an export that failed.
        public var droppedExportFailed: Int
        /// Exports that failed.
        public var failedExports: Int
        /// Attempts made again after a transient failure.
        public var retries: Int
        /// Spans waiting for their export.
        public var queued: Int

        /// Creates the counts.
        public init(
            exported: Int, droppedQueueFull: Int, droppedExportFailed: Int, failedExports: Int, retries: Int, queued: Int
        ) {
            self.exported = exported
            self.droppedQueueFull = droppedQueueFull
            self.droppedExportFailed = droppedExportFailed
            self.failedExports = failedExports
            self.retries = retries
            self.queued = queued
        }
    }

    private let sources: [CheckSource]
    private let plugins: [Plugin]
    private let requests: RequestMetrics
    private let traceExport: (@Sendable () -> TraceExport)?
    private let version: String
    private let swiftVersion: String

    /// An exposition of `sources`, `plugins`, `requests` and, when tracing is on, what
    /// `traceExport` reads from the span exporter.
    public init(
        sources: [CheckSource], plugins: [Plugin], requests: RequestMetrics,
        traceExport: (@Sendable () -> TraceExport)? = nil, version: String, swiftVersion: String
    ) {
        self.sources = sources
        self.plugins = plugins
        self.requests = requests
        self.traceExport = traceExport
        self.version = version
        self.swiftVersion = swiftVersion
    }

    /// The exposition's media type.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The whole exposition, as of now.
    public func render() -> String {
        var out = PrometheusText()
        let checks = sources.flatMap { source in
            source.registry.checks.map { check in
                (check: check, statistics: source.engine.statistics(of: check.name) ?? CheckStatistics())
            }
        }
        renderChecks(checks, into: &out)
        renderPlugins(into: &out)
        renderRequests(into: &out)
        if let traceExport { Self.renderTraceExport(traceExport(), into: &out) }
        out.family("healthhost_build_info", "gauge", help: "Always 1; the labels say which healthhost and Swift runtime run.")
        out.sample("healthhost_build_info", [("version", version), ("swift", swiftVersion)], 1)
        return out.text
    }

    private typealias Entry = (check: RegisteredCheck, statistics: CheckStatistics)

    private static func labels(_ check: RegisteredCheck) -> [(String, String)] {
        [("check", check.name), ("plugin", check.pluginName)]
    }

    /// The status probes get from the latest result: a stale or stuck check fails.
    private static func reportedStatus(_ statistics: CheckStatistics) -> CheckStatus? {
        guard let last = statistics.lastReport else { return nil }
        return statistics.isStale || statistics.isStuck ? .fail : last.result.status
    }

    private func renderChecks(_ checks: [Entry], into out: inout PrometheusText) {
        out.family(
            "healthhost_check_up", "gauge",
            help: "1 when the check's latest result passes or warns, 0 when it fails (stale and stuck count as failing); no sample before its first result.")
        for (check, statistics) in checks {
            guard let status = Self.reportedStatus(statistics) else { continue }
            out.sample("healthhost_check_up", Self.labels(check), status.isPassing ? 1 : 0)
        }
        out.family("healthhost_check_status", "gauge", help: "The latest result's status, one-hot over pass, warn and fail.")
        for (check, statistics) in checks {
            guard let status = Self.reportedStatus(statistics) else { continue }
            for candidate in [CheckStatus.pass, .warn, .fail] {
                out.sample(
                    "healthhost_check_status", Self.labels(check) + [("status", candidate.description)],
                    candidate == status ? 1 : 0)
            }
        }
        out.family("healthhost_check_runs_total", "counter", help: "Results of the check's runs, by status (a timeout is a fail).")
        for (check, statistics) in checks {
            for result in [CheckStatus.pass, .warn, .fail] {
                out.sample(
                    "healthhost_check_runs_total", Self.labels(check) + [("result", result.description)],
                    statistics.runsByStatus[result] ?? 0)
            }
        }
        out.family("healthhost_check_duration_seconds", "histogram", help: "How long the check's calls took that returned within the timeout.")
        for (check, statistics) in checks {
            out.histogram("healthhost_check_duration_seconds", Self.labels(check), statistics.durations)
        }
        out.family("healthhost_check_timeouts_total", "counter", help: "Calls of the check that missed its timeout.")
        for (check, statistics) in checks { out.sample("healthhost_check_timeouts_total", Self.labels(check), statistics.timeouts) }
        out.family("healthhost_check_consecutive_failures", "gauge", help: "Failing results in a row; 0 after a pass or warn.")
        for (check, statistics) in checks {
            out.sample("healthhost_check_consecutive_failures", Self.labels(check), statistics.consecutiveFailures)
        }
        out.family("healthhost_check_last_run_timestamp_seconds", "gauge", help: "When the check's latest result was produced (Unix time).")
        for (check, statistics) in checks {
            guard let last = statistics.lastReport else { continue }
            out.sample("healthhost_check_last_run_timestamp_seconds", Self.labels(check), last.finishedAt.timeIntervalSince1970)
        }
        out.family("healthhost_check_last_success_timestamp_seconds", "gauge", help: "When the check last passed or warned (Unix time).")
        for (check, statistics) in checks {
            guard let success = statistics.lastSuccessAt else { continue }
            out.sample("healthhost_check_last_success_timestamp_seconds", Self.labels(check), success.timeIntervalSince1970)
        }
        out.family(
            "healthhost_check_cache_total", "counter",
            help: "Requests for the check answered from a stored result (hit) or that needed a call (miss).")
        for (check, statistics) in checks {
            out.sample("healthhost_check_cache_total", Self.labels(check) + [("outcome", "hit")], statistics.cacheHits)
            out.sample("healthhost_check_cache_total", Self.labels(check) + [("outcome", "miss")], statistics.cacheMisses)
        }
        out.family(
            "healthhost_check_observed_value", "gauge",
            help: "The value the check's latest result reported (its unit in the unit label), when it reported one.")
        for (check, statistics) in checks {
            guard let result = statistics.lastReport?.result, let value = result.observedValue else { continue }
            out.sample("healthhost_check_observed_value", Self.labels(check) + [("unit", result.observedUnit)], value)
        }
    }

    private func renderPlugins(into out: inout PrometheusText) {
        out.family("healthhost_plugin_info", "gauge", help: "Always 1 per loaded plugin; the labels say its version and ABI.")
        for plugin in plugins {
            out.sample("healthhost_plugin_info", [("plugin", plugin.name), ("version", plugin.version), ("abi", plugin.abi)], 1)
        }
        let workers = plugins.compactMap { plugin in plugin.worker().map { (plugin.name, $0) } }
        out.family("healthhost_plugin_worker_deaths_total", "counter", help: "Times the isolated plugin's worker process died.")
        for (name, counts) in workers { out.sample("healthhost_plugin_worker_deaths_total", [("plugin", name)], counts.deaths) }
        out.family("healthhost_plugin_worker_restarts_total", "counter", help: "Times a new worker was started after one died.")
        for (name, counts) in workers { out.sample("healthhost_plugin_worker_restarts_total", [("plugin", name)], counts.restarts) }
        out.family("healthhost_plugin_worker_quarantined", "gauge", help: "1 when too many deaths stopped the worker's restarts.")
        for (name, counts) in workers {
            out.sample("healthhost_plugin_worker_quarantined", [("plugin", name)], counts.quarantined ? 1 : 0)
        }
    }

    private func renderRequests(into out: inout PrometheusText) {
        let routes = requests.snapshot()
        out.family("healthhost_http_requests_total", "counter", help: "HTTP requests answered, by route and status code.")
        for (route, counts) in routes {
            for (code, count) in counts.byCode.sorted(by: { $0.key < $1.key }) {
                out.sample("healthhost_http_requests_total", [("route", route), ("code", String(code))], count)
            }
        }
        out.family("healthhost_http_request_duration_seconds", "histogram", help: "Time from routing a request to its response being ready.")
        for (route, counts) in routes where counts.count > 0 {
            out.histogram("healthhost_http_request_duration_seconds", [("route", route)], counts.durations)
        }
    }

    private static func renderTraceExport(_ counts: TraceExport, into out: inout PrometheusText) {
        out.family("healthhost_trace_spans_exported_total", "counter", help: "Spans the OTLP collector accepted.")
        out.sample("healthhost_trace_spans_exported_total", [], counts.exported)
        out.family(
            "healthhost_trace_spans_dropped_total", "counter",
            help: "Spans dropped: the export queue was full (queue_full) or their export failed (export_failed: not transient, or still failing when OTEL_EXPORTER_OTLP_TIMEOUT ran out).")
        out.sample("healthhost_trace_spans_dropped_total", [("reason", "queue_full")], counts.droppedQueueFull)
        out.sample("healthhost_trace_spans_dropped_total", [("reason", "export_failed")], counts.droppedExportFailed)
        out.family(
            "healthhost_trace_exports_failed_total", "counter",
            help: "Exports to the OTLP collector that failed (no answer in time, refused, or not a 2xx).")
        out.sample("healthhost_trace_exports_failed_total", [], counts.failedExports)
        out.family(
            "healthhost_trace_export_retries_total", "counter",
            help: "Export attempts made again after a transient failure (429, 502, 503, 504, no answer).")
        out.sample("healthhost_trace_export_retries_total", [], counts.retries)
        out.family("healthhost_trace_spans_queued", "gauge", help: "Spans in full batches waiting for their export.")
        out.sample("healthhost_trace_spans_queued", [], counts.queued)
    }
}
