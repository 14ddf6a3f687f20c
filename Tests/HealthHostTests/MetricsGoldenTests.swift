import Foundation
import HealthCore
import HealthHostApp
import HealthMetrics
import HealthSwiftVersion
import Testing

/// `/metrics` byte for byte: one host in a state the test fixes (a standing clock, so
/// every timestamp and duration is known; checks run a known number of times; requests
/// counted by hand) renders exactly the exposition below, which the exposition rendered
/// before its families became collectors. Any change of name, order, label, help text or
/// number format fails here before a dashboard or alert notices.
@Suite(.timeLimit(.minutes(2)), .serialized) struct MetricsGoldenTests {
    /// 2027-01-15T08:00:00.25Z, standing still.
    private static let standingClock = EngineClock(
        now: { MetricsGoldenTests.instant }, date: { WallTime(timeIntervalSince1970: 1_800_000_000.25) })
    private static let instant = ContinuousClock.now

    @Test func theExpositionOfAKnownStateIsByteForByteTheGoldenOne() async throws {
        let yaml = try await DialectFixture.yaml(
            http: "  actuator: { enabled: true, service_dependencies: { users: \"127.0.0.1:9\" } }"
        )
        .replacingOccurrences(of: "isolation: { default: none }", with: "isolation: { default: process }")
        // Tracing on (to a collector that never gets a span): its series are part of the golden text.
        let environment = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_BSP_SCHEDULE_DELAY": "600000"]
        try await TestHost.with(yaml: yaml, environment: environment, clock: Self.standingClock) { host throws in
            for (name, runs) in [("ok", 2), ("warn", 1), ("down", 3)] {
                let check = try #require(host.app.registry.check(named: name))
                for _ in 0..<runs { _ = await host.app.engine.report(for: check) }
            }
            let health = host.app.requestMetrics.counters(for: "/health/")
            health.record(code: 200, seconds: 0.0004)
            health.record(code: 503, seconds: 0.02)
            health.record(code: 200, seconds: 3)
            host.app.requestMetrics.counters(for: "/livez").record(code: 200, seconds: 0.001)
            host.app.requestMetrics.counters(for: "/nowhere").record(code: 404, seconds: 0.0001)
            let scrape = try await host.get("/metrics", headers: ["Authorization": "Bearer \(DialectFixture.secret)"])
            #expect(scrape.status == 200)
            let text = scrape.body
                .replacingOccurrences(of: "version=\"\(HostApplication.version)\"", with: "version=\"VERSION\"")
                .replacingOccurrences(of: "swift=\"\(SwiftRuntimeVersion.host)\"", with: "swift=\"SWIFT\"")
            #expect(text == Self.golden)
        }
    }

    /// A collector of the test's own: the exposition asks each collector in turn and
    /// adds nothing between them.
    private struct QueueMetrics: MetricsCollector {
        let length: Int
        func collect(into text: inout PrometheusText) {
            text.family("test_queue_length", "gauge", help: "Items waiting.\nNo more.")
            text.sample("test_queue_length", [("queue", "a \"b\"")], length)
        }
    }

    @Test func theExpositionIsEachCollectorsTextInTheirOrder() {
        let exposition = MetricsExposition(collectors: [
            QueueMetrics(length: 3), BuildInfoMetrics(version: "1.2.3", swiftVersion: "6.3"), QueueMetrics(length: 0),
        ])
        let queue = { (length: Int) in
            "# HELP test_queue_length Items waiting.\\nNo more.\n# TYPE test_queue_length gauge\n"
                + "test_queue_length{queue=\"a \\\"b\\\"\"} \(length)\n"
        }
        let buildInfo =
            "# HELP healthhost_build_info Always 1; the labels say which healthhost and Swift runtime run.\n"
            + "# TYPE healthhost_build_info gauge\nhealthhost_build_info{version=\"1.2.3\",swift=\"6.3\"} 1\n"
        #expect(exposition.render() == queue(3) + buildInfo + queue(0))
        #expect(MetricsExposition(collectors: []).render() == "")
    }

    static let golden = """
        # HELP healthhost_check_up 1 when the check's latest result passes or warns, 0 when it fails (stale and stuck count as failing); no sample before its first result.
        # TYPE healthhost_check_up gauge
        healthhost_check_up{check="ok",plugin="dialectkit"} 1
        healthhost_check_up{check="warn",plugin="dialectkit"} 1
        healthhost_check_up{check="down",plugin="dialectkit"} 0
        # HELP healthhost_check_status The latest result's status, one-hot over pass, warn and fail.
        # TYPE healthhost_check_status gauge
        healthhost_check_status{check="ok",plugin="dialectkit",status="pass"} 1
        healthhost_check_status{check="ok",plugin="dialectkit",status="warn"} 0
        healthhost_check_status{check="ok",plugin="dialectkit",status="fail"} 0
        healthhost_check_status{check="warn",plugin="dialectkit",status="pass"} 0
        healthhost_check_status{check="warn",plugin="dialectkit",status="warn"} 1
        healthhost_check_status{check="warn",plugin="dialectkit",status="fail"} 0
        healthhost_check_status{check="down",plugin="dialectkit",status="pass"} 0
        healthhost_check_status{check="down",plugin="dialectkit",status="warn"} 0
        healthhost_check_status{check="down",plugin="dialectkit",status="fail"} 1
        # HELP healthhost_check_runs_total Results of the check's runs, by status (a timeout is a fail).
        # TYPE healthhost_check_runs_total counter
        healthhost_check_runs_total{check="ok",plugin="dialectkit",result="pass"} 2
        healthhost_check_runs_total{check="ok",plugin="dialectkit",result="warn"} 0
        healthhost_check_runs_total{check="ok",plugin="dialectkit",result="fail"} 0
        healthhost_check_runs_total{check="warn",plugin="dialectkit",result="pass"} 0
        healthhost_check_runs_total{check="warn",plugin="dialectkit",result="warn"} 1
        healthhost_check_runs_total{check="warn",plugin="dialectkit",result="fail"} 0
        healthhost_check_runs_total{check="down",plugin="dialectkit",result="pass"} 0
        healthhost_check_runs_total{check="down",plugin="dialectkit",result="warn"} 0
        healthhost_check_runs_total{check="down",plugin="dialectkit",result="fail"} 3
        healthhost_check_runs_total{check="users",plugin="dependency",result="pass"} 0
        healthhost_check_runs_total{check="users",plugin="dependency",result="warn"} 0
        healthhost_check_runs_total{check="users",plugin="dependency",result="fail"} 0
        # HELP healthhost_check_duration_seconds How long the check's calls took that returned within the timeout.
        # TYPE healthhost_check_duration_seconds histogram
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="0.001"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="0.0025"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="0.005"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="0.01"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="0.025"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="0.05"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="0.1"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="0.25"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="0.5"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="1"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="2.5"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="5"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="10"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="30"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="60"} 2
        healthhost_check_duration_seconds_bucket{check="ok",plugin="dialectkit",le="+Inf"} 2
        healthhost_check_duration_seconds_sum{check="ok",plugin="dialectkit"} 0
        healthhost_check_duration_seconds_count{check="ok",plugin="dialectkit"} 2
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="0.001"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="0.0025"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="0.005"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="0.01"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="0.025"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="0.05"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="0.1"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="0.25"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="0.5"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="1"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="2.5"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="5"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="10"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="30"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="60"} 1
        healthhost_check_duration_seconds_bucket{check="warn",plugin="dialectkit",le="+Inf"} 1
        healthhost_check_duration_seconds_sum{check="warn",plugin="dialectkit"} 0
        healthhost_check_duration_seconds_count{check="warn",plugin="dialectkit"} 1
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="0.001"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="0.0025"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="0.005"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="0.01"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="0.025"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="0.05"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="0.1"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="0.25"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="0.5"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="1"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="2.5"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="5"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="10"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="30"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="60"} 3
        healthhost_check_duration_seconds_bucket{check="down",plugin="dialectkit",le="+Inf"} 3
        healthhost_check_duration_seconds_sum{check="down",plugin="dialectkit"} 0
        healthhost_check_duration_seconds_count{check="down",plugin="dialectkit"} 3
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="0.001"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="0.0025"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="0.005"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="0.01"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="0.025"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="0.05"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="0.1"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="0.25"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="0.5"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="1"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="2.5"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="5"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="10"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="30"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="60"} 0
        healthhost_check_duration_seconds_bucket{check="users",plugin="dependency",le="+Inf"} 0
        healthhost_check_duration_seconds_sum{check="users",plugin="dependency"} 0
        healthhost_check_duration_seconds_count{check="users",plugin="dependency"} 0
        # HELP healthhost_check_timeouts_total Calls of the check that missed its timeout.
        # TYPE healthhost_check_timeouts_total counter
        healthhost_check_timeouts_total{check="ok",plugin="dialectkit"} 0
        healthhost_check_timeouts_total{check="warn",plugin="dialectkit"} 0
        healthhost_check_timeouts_total{check="down",plugin="dialectkit"} 0
        healthhost_check_timeouts_total{check="users",plugin="dependency"} 0
        # HELP healthhost_check_consecutive_failures Failing results in a row; 0 after a pass or warn.
        # TYPE healthhost_check_consecutive_failures gauge
        healthhost_check_consecutive_failures{check="ok",plugin="dialectkit"} 0
        healthhost_check_consecutive_failures{check="warn",plugin="dialectkit"} 0
        healthhost_check_consecutive_failures{check="down",plugin="dialectkit"} 3
        healthhost_check_consecutive_failures{check="users",plugin="dependency"} 0
        # HELP healthhost_check_last_run_timestamp_seconds When the check's latest result was produced (Unix time).
        # TYPE healthhost_check_last_run_timestamp_seconds gauge
        healthhost_check_last_run_timestamp_seconds{check="ok",plugin="dialectkit"} 1800000000.25
        healthhost_check_last_run_timestamp_seconds{check="warn",plugin="dialectkit"} 1800000000.25
        healthhost_check_last_run_timestamp_seconds{check="down",plugin="dialectkit"} 1800000000.25
        # HELP healthhost_check_last_success_timestamp_seconds When the check last passed or warned (Unix time).
        # TYPE healthhost_check_last_success_timestamp_seconds gauge
        healthhost_check_last_success_timestamp_seconds{check="ok",plugin="dialectkit"} 1800000000.25
        healthhost_check_last_success_timestamp_seconds{check="warn",plugin="dialectkit"} 1800000000.25
        # HELP healthhost_check_cache_total Requests for the check answered from a stored result (hit) or that needed a call (miss).
        # TYPE healthhost_check_cache_total counter
        healthhost_check_cache_total{check="ok",plugin="dialectkit",outcome="hit"} 0
        healthhost_check_cache_total{check="ok",plugin="dialectkit",outcome="miss"} 2
        healthhost_check_cache_total{check="warn",plugin="dialectkit",outcome="hit"} 0
        healthhost_check_cache_total{check="warn",plugin="dialectkit",outcome="miss"} 1
        healthhost_check_cache_total{check="down",plugin="dialectkit",outcome="hit"} 0
        healthhost_check_cache_total{check="down",plugin="dialectkit",outcome="miss"} 3
        healthhost_check_cache_total{check="users",plugin="dependency",outcome="hit"} 0
        healthhost_check_cache_total{check="users",plugin="dependency",outcome="miss"} 0
        # HELP healthhost_check_observed_value The value the check's latest result reported (its unit in the unit label), when it reported one.
        # TYPE healthhost_check_observed_value gauge
        healthhost_check_observed_value{check="ok",plugin="dialectkit",unit="ms"} 12
        healthhost_check_observed_value{check="warn",plugin="dialectkit",unit="percent"} 91.5
        # HELP healthhost_plugin_info Always 1 per loaded plugin; the labels say its version and ABI.
        # TYPE healthhost_plugin_info gauge
        healthhost_plugin_info{plugin="dialectkit",version="2.3.4",abi="1.3"} 1
        # HELP healthhost_plugin_worker_deaths_total Times the isolated plugin's worker process died.
        # TYPE healthhost_plugin_worker_deaths_total counter
        healthhost_plugin_worker_deaths_total{plugin="dialectkit"} 0
        # HELP healthhost_plugin_worker_restarts_total Times a new worker was started after one died.
        # TYPE healthhost_plugin_worker_restarts_total counter
        healthhost_plugin_worker_restarts_total{plugin="dialectkit"} 0
        # HELP healthhost_plugin_worker_quarantined 1 when too many deaths stopped the worker's restarts.
        # TYPE healthhost_plugin_worker_quarantined gauge
        healthhost_plugin_worker_quarantined{plugin="dialectkit"} 0
        # HELP healthhost_http_requests_total HTTP requests answered, by route and status code.
        # TYPE healthhost_http_requests_total counter
        healthhost_http_requests_total{route="/health/",code="200"} 2
        healthhost_http_requests_total{route="/health/",code="503"} 1
        healthhost_http_requests_total{route="/livez",code="200"} 1
        healthhost_http_requests_total{route="unmatched",code="404"} 1
        # HELP healthhost_http_request_duration_seconds Time from routing a request to its response being ready.
        # TYPE healthhost_http_request_duration_seconds histogram
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.0005"} 1
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.001"} 1
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.0025"} 1
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.005"} 1
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.01"} 1
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.025"} 2
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.05"} 2
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.1"} 2
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.25"} 2
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="0.5"} 2
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="1"} 2
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="2.5"} 2
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="5"} 3
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="10"} 3
        healthhost_http_request_duration_seconds_bucket{route="/health/",le="+Inf"} 3
        healthhost_http_request_duration_seconds_sum{route="/health/"} 3.0204
        healthhost_http_request_duration_seconds_count{route="/health/"} 3
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.0005"} 0
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.001"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.0025"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.005"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.01"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.025"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.05"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.1"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.25"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="0.5"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="1"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="2.5"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="5"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="10"} 1
        healthhost_http_request_duration_seconds_bucket{route="/livez",le="+Inf"} 1
        healthhost_http_request_duration_seconds_sum{route="/livez"} 0.001
        healthhost_http_request_duration_seconds_count{route="/livez"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.0005"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.001"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.0025"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.005"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.01"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.025"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.05"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.1"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.25"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="0.5"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="1"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="2.5"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="5"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="10"} 1
        healthhost_http_request_duration_seconds_bucket{route="unmatched",le="+Inf"} 1
        healthhost_http_request_duration_seconds_sum{route="unmatched"} 0.0001
        healthhost_http_request_duration_seconds_count{route="unmatched"} 1
        # HELP healthhost_trace_spans_exported_total Spans the OTLP collector accepted.
        # TYPE healthhost_trace_spans_exported_total counter
        healthhost_trace_spans_exported_total 0
        # HELP healthhost_trace_spans_dropped_total Spans dropped: the export queue was full (queue_full) or their export failed (export_failed: not transient, or still failing when OTEL_EXPORTER_OTLP_TIMEOUT ran out).
        # TYPE healthhost_trace_spans_dropped_total counter
        healthhost_trace_spans_dropped_total{reason="queue_full"} 0
        healthhost_trace_spans_dropped_total{reason="export_failed"} 0
        # HELP healthhost_trace_exports_failed_total Exports to the OTLP collector that failed (no answer in time, refused, or not a 2xx).
        # TYPE healthhost_trace_exports_failed_total counter
        healthhost_trace_exports_failed_total 0
        # HELP healthhost_trace_export_retries_total Export attempts made again after a transient failure (429, 502, 503, 504, no answer).
        # TYPE healthhost_trace_export_retries_total counter
        healthhost_trace_export_retries_total 0
        # HELP healthhost_trace_spans_queued Spans in full batches waiting for their export.
        # TYPE healthhost_trace_spans_queued gauge
        healthhost_trace_spans_queued 0
        # HELP healthhost_build_info Always 1; the labels say which healthhost and Swift runtime run.
        # TYPE healthhost_build_info gauge
        healthhost_build_info{version="VERSION",swift="SWIFT"} 1

        """
}
