import Foundation
import HealthCore
import HealthHostApp
import Testing

/// `GET /metrics`: scraped by a real Prometheus with the secret, checked by promtool,
/// and free of messages and secrets.
@Suite(.timeLimit(.minutes(2)), .serialized) struct MetricsTests {
    private let auth = ["Authorization": "Bearer \(DialectFixture.secret)"]

    @Test func aRealPrometheusScrapesTheHostAndReadsBackWhatTheChecksDid() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            for _ in 0..<3 {
                #expect(try await host.get("/health/?checks=ok,warn,down", headers: auth).status == 503)
            }
            #expect(try await host.get("/livez").status == 200)
            let prometheus = try await PrometheusFixture(targetPort: host.port, secret: DialectFixture.secret)

            // The scrapes themselves are counted, with the secret they carried accepted: by
            // the time a scrape reads the counter, an earlier scrape has been counted.
            let requests = try await prometheus.waitFor("healthhost_http_requests_total") {
                $0["code=503,route=/health/"] == 3 && ($0["code=200,route=/metrics"] ?? 0) >= 1
            }
            #expect(requests["code=503,route=/health/"] == 3)
            #expect(requests["code=200,route=/livez"] == 1)
            #expect((requests["code=200,route=/metrics"] ?? 0) >= 1)
            #expect(requests["code=401,route=/metrics"] == nil, "a scrape with the secret was refused: \(requests)")
            #expect(try await prometheus.query("up") == ["": 1])

            let up = try await prometheus.query("healthhost_check_up")
            #expect(up == ["check=ok,plugin=dialectkit": 1, "check=warn,plugin=dialectkit": 1, "check=down,plugin=dialectkit": 0])
            let status = try await prometheus.query("healthhost_check_status == 1")
            #expect(
                Set(status.keys) == [
                    "check=ok,plugin=dialectkit,status=pass", "check=warn,plugin=dialectkit,status=warn",
                    "check=down,plugin=dialectkit,status=fail",
                ])
            // Runs and cache outcomes agree with the engine's own statistics.
            let runs = try await prometheus.query(#"healthhost_check_runs_total{check="down"}"#)
            let engineRuns = try #require(host.app.engine.statistics(of: "down")).runsByStatus[.fail] ?? 0
            #expect(engineRuns >= 1)
            #expect(runs["check=down,plugin=dialectkit,result=fail"] == Double(engineRuns))
            let cache = try await prometheus.query(#"healthhost_check_cache_total{check="down"}"#)
            let statistics = try #require(host.app.engine.statistics(of: "down"))
            #expect(cache["check=down,outcome=miss,plugin=dialectkit"] == Double(statistics.cacheMisses))
            #expect(cache["check=down,outcome=hit,plugin=dialectkit"] == Double(statistics.cacheHits))
            #expect(statistics.cacheMisses + statistics.cacheHits == 3)
            let failures = try await prometheus.query(#"healthhost_check_consecutive_failures{check="down"}"#)
            #expect(failures.values.first == Double(statistics.consecutiveFailures))
            let observed = try await prometheus.query("healthhost_check_observed_value")
            #expect(observed["check=warn,plugin=dialectkit,unit=percent"] == 91.5)
            let calls = try await prometheus.query(#"healthhost_check_duration_seconds_count{check="ok"}"#)
            #expect(calls.values.first == Double(try #require(host.app.engine.statistics(of: "ok")).durations.count))
            let info = try await prometheus.query("healthhost_plugin_info")
            #expect(info.keys.contains { $0.hasPrefix("abi=1.") && $0.hasSuffix("plugin=dialectkit,version=2.3.4") })
            #expect(try await prometheus.query("healthhost_build_info").keys.contains { $0.contains("version=\(HostApplication.version)") })
        }
    }

    @Test func theExpositionPassesPromtoolAndCarriesNoMessagesOrSecrets() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            _ = try await host.get("/health/?checks=ok,warn,down", headers: auth)
            _ = try await host.get("/no/such/path?auth=\(DialectFixture.secret)")
            let metrics = try await host.get("/metrics", headers: auth)
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(try promtool(metrics.body) == "")
            for hidden in ["connection refused", "db.internal", "hunter2", DialectFixture.secret, "/no/such/path"] {
                #expect(!metrics.body.contains(hidden), "\(hidden) in the exposition")
            }
            #expect(metrics.body.contains(#"healthhost_http_requests_total{route="unmatched",code="404"} 1"#))
        }
    }

    @Test func metricsNeedTheSecretUnlessConfiguredPublic() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            #expect(try await host.get("/metrics").status == 401)
        }
        let open = "  metrics: { access: public, path: /internal/metrics }"
        try await TestHost.with(yaml: try DialectFixture.yaml(http: open)) { host throws in
            #expect(try await host.get("/internal/metrics").status == 200)
            #expect(try await host.get("/metrics").status == 404)
        }
    }

    @Test func aScrapeRunsNoCheck() async throws {
        try await TestHost.with(yaml: try await DialectFixture.yaml()) { host throws in
            _ = try await host.get("/health/?checks=ok", headers: auth)
            let before = host.app.engine.statistics(of: "ok")?.completedCalls
            for _ in 0..<5 { #expect(try await host.get("/metrics", headers: auth).status == 200) }
            #expect(host.app.engine.statistics(of: "ok")?.completedCalls == before)
            #expect(host.app.engine.statistics(of: "down")?.completedCalls == 0)
        }
    }

    @Test func anIsolatedPluginsWorkerDeathsAndRestartsAreCounted() async throws {
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.crashkit()], pluginConfig: "{ crashkit: { init: normal } }",
            checks: """
                  - { name: ok, plugin: crashkit, check: ok }
                  - { name: segv, plugin: crashkit, check: segv, default: false }
                """,
            isolation: "{ default: process }"
        ).replacingOccurrences(of: "plugins:\n", with: "plugins:\n  restart_delay: 0.05\n")
        try await TestHost.with(yaml: yaml) { host throws in
            let before = try await host.get("/metrics", headers: auth).body
            #expect(before.contains(#"healthhost_plugin_worker_deaths_total{plugin="crashkit"} 0"#))
            #expect(try await host.report("segv").result.status == .fail)
            #expect(try await eventually { try await host.report("ok").result.status == .pass })
            let after = try await host.get("/metrics", headers: auth).body
            #expect(after.contains(#"healthhost_plugin_worker_deaths_total{plugin="crashkit"} 1"#))
            #expect(after.contains(#"healthhost_plugin_worker_restarts_total{plugin="crashkit"} 1"#))
            #expect(after.contains(#"healthhost_plugin_worker_quarantined{plugin="crashkit"} 0"#))
        }
    }
}
