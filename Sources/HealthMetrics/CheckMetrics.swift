public import HealthCore

/// The `healthhost_check_*` series: each check's latest status, its runs, call
/// durations, timeouts, failures in a row, timestamps, cache outcomes and observed
/// value, read from the engine's own ``CheckStatistics`` under the short lock a cached
/// probe takes. A scrape runs no check and never waits for one.
///
/// Several sources (the configured checks, the actuator dialect's remote dependencies,
/// each with an engine of its own) share each family, in the order given.
public struct CheckMetrics: MetricsCollector {
    /// Checks and the engine that runs them.
    public struct Source: Sendable {
        let registry: CheckRegistry
        let engine: CheckEngine

        /// Creates a source.
        public init(registry: CheckRegistry, engine: CheckEngine) {
            self.registry = registry
            self.engine = engine
        }
    }

    private let sources: [Source]

    /// The checks of `sources`, in that order.
    public init(sources: [Source]) {
        self.sources = sources
    }

    private static func labels(_ check: RegisteredCheck) -> [(String, String)] {
        [("check", check.name), ("plugin", check.pluginName)]
    }

    /// The status probes get from the latest result: a stale or stuck check fails.
    private static func reportedStatus(_ statistics: CheckStatistics) -> CheckStatus? {
        guard let last = statistics.lastReport else { return nil }
        return statistics.isStale || statistics.isStuck ? .fail : last.result.status
    }

    /// Writes the `healthhost_check_*` families, every check of every source in each.
    public func collect(into out: inout PrometheusText) {
        let checks = sources.flatMap { source in
            source.registry.checks.map { check in
                (check: check, statistics: source.engine.statistics(of: check.name) ?? CheckStatistics())
            }
        }
        out.family(
            "healthhost_check_up", "gauge",
            help:
                """
                1 when the check's latest result passes or warns, 0 when it fails (stale and stuck count as failing); no sample before its first \
                result.
                """
        )
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
}
