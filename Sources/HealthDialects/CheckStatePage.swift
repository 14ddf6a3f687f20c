import HealthJSON
import HealthCore
import HealthHTTP

/// `GET {prefix}/status`: what the engine knows about every served check, for an
/// operator finding out why a probe fails: the newest result and when it was produced,
/// how long the last call took (also one that returned after its timeout), the last
/// success, failures in a row, timeouts, a call stuck past its timeout, and whether a
/// background result is stale. It reads state only: it never runs a check and never
/// waits, so it answers even while every check hangs. It needs the secret (messages can
/// name hosts and paths; secret parameter values are already scrubbed from them).
///
/// ```json
/// {"checks": [{"name": "db", "source": "postgres.ping", "default": true, "groups": ["readiness"],
///   "timeout_seconds": 2, "refresh": "every 5 s",
///   "last": {"status": "fail", "message": "timed out: no result within 2 s", "time": "...",
///            "duration_seconds": 2.0},
///   "raw": {...the run's own result: the same as last unless flap damping holds it...},
///   "damping": "2 of 3 failures before it reports fail" or null, "damping_policy": "fail after 3 runs",
///   "status_since": "...",
///   "last_success": "...", "consecutive_failures": 3, "calls": 120, "timeouts": 3,
///   "running_since": "...", "stuck": true, "last_call_seconds": 0.004,
///   "stale_after_seconds": 12, "stale": false}],
///  "time": "..."}
/// ```
enum CheckStatePage {
    static func response(registry: CheckRegistry, engine: CheckEngine, now: WallTime = .now) -> HTTPResponse {
        let checks = registry.checks.map { check in
            entry(for: check, statistics: engine.statistics(of: check.name) ?? CheckStatistics())
        }
        return .json(
            .object(["checks": .array(checks), "time": .string(timestamp(now))]), headers: HealthHeaders.noCache)
    }

    private static func entry(for check: RegisteredCheck, statistics: CheckStatistics) -> JSONValue {
        var last = JSONValue.null
        if let report = statistics.lastReport {
            var fields: [String: JSONValue] = [
                "status": .string(report.result.status.description), "message": .string(report.result.message),
                "time": .string(timestamp(report.finishedAt)), "duration_seconds": .double(report.duration.seconds),
            ]
            if let value = report.result.observedValue {
                fields["observed_value"] = .double(value)
                fields["observed_unit"] = .string(report.result.observedUnit)
            }
            last = .object(fields)
        }
        // Flap damping: the run's own result when it differs from the reported one, and why.
        var raw = last
        if let report = statistics.lastReport, let result = report.rawResult {
            raw = .object(["status": .string(result.status.description), "message": .string(result.message)])
        }
        return .object([
            "name": .string(check.name), "source": .string(check.implementation.source),
            "default": .bool(check.isDefault), "groups": .array(check.groups.map(JSONValue.string)),
            "timeout_seconds": .double(check.timeout.seconds), "refresh": .string(check.refresh.summary),
            "last": last, "raw": raw, "damping": .string(statistics.lastReport?.damping),
            "damping_policy": .string(check.damping.isDamping ? check.damping.summary : nil),
            "status_since": .string(statistics.statusSince.map(timestamp)),
            "last_success": .string(statistics.lastSuccessAt.map(timestamp)),
            "consecutive_failures": .int(statistics.consecutiveFailures), "calls": .int(statistics.completedCalls),
            "timeouts": .int(statistics.timeouts), "running_since": .string(statistics.runningSince.map(timestamp)),
            "stuck": .bool(statistics.isStuck),
            "last_call_seconds": statistics.lastDuration.map { .double($0.seconds) } ?? .null,
            "stale_after_seconds": check.staleAfter.map { .double($0.seconds) } ?? .null,
            "stale": check.staleAfter == nil ? .null : .bool(statistics.isStale),
        ])
    }

    private static func timestamp(_ date: WallTime) -> String {
        date.iso8601(fractionalSeconds: true)
    }
}
