import Foundation
import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import Logging
import NIOHTTP1
import Testing

/// Runscope healthcheck's `/healthcheck` and `/environment`: `/healthcheck`'s rules
/// through the real pipeline over the fixture's checks in process; `/environment`, which
/// reports the loaded plugins, the config file and the process, through a real host.
@Suite(.timeLimit(.minutes(2))) struct RunscopeDialectTests {
    private let auth = ["Authorization": "Bearer \(DialectFixture.secret)"]
    private let bearer = [("Authorization", "Bearer \(DialectFixture.secret)")]
    private let enabled = "  runscope: { enabled: true }"

    private func harness(
        _ configure: (inout RunscopeDialectConfiguration) -> Void = { _ in }, refresh: RefreshPolicy = .alwaysFresh
    ) throws -> RouterHarness {
        var config = RunscopeDialectConfiguration()
        config.enabled = true
        configure(&config)
        return try RouterHarness.dialectFixture(refresh: refresh, environment: EnvironmentReport(hostname: "probe-host")) {
            RunscopeDialect.routes(config, context: $0)
        }
    }

    @Test func healthcheckHasRunscopesShapeAndStatusCodes() async throws {
        let harness = try harness()
        #expect(try await harness.get("/healthcheck").status == .unauthorized)
        let before = Date().timeIntervalSince1970
        let response = try await harness.get("/healthcheck", headers: bearer)
        #expect(response.status == .ok)
        #expect(response.header("Content-Type") == "application/json")
        let body = response.json
        #expect(Set(body.keys) == ["hostname", "status", "timestamp", "results"])
        #expect(body["hostname"] as? String == "probe-host")
        #expect(body["status"] as? String == "success")
        let timestamp = try #require(body["timestamp"] as? Double)
        #expect(timestamp >= before - 1 && timestamp <= Date().timeIntervalSince1970 + 1)
        let results = try #require(body["results"] as? [[String: Any]])
        #expect(results.map { $0["checker"] as? String } == ["ok", "warn"])
        #expect(results.map { $0["output"] as? String } == ["all good", "disk 91% full"])
        #expect(results.map { $0["passed"] as? Bool } == [true, true])
        for result in results {
            #expect(Set(result.keys) == ["checker", "output", "passed", "timestamp", "expires"])
            #expect(result["expires"] as? Double == result["timestamp"] as? Double)  // not cached
        }

        let failing = try await harness.get("/healthcheck?checks=ok,down", headers: bearer)
        #expect(failing.status == .internalServerError)
        #expect(failing.json["status"] as? String == "failure")
        let down = try #require((failing.json["results"] as? [[String: Any]])?.last)
        #expect(down["passed"] as? Bool == false)
        #expect(down["output"] as? String == "connection refused: db:5432")
    }

    @Test func expiresSaysHowLongTheEngineReusesAResult() async throws {
        let harness = try harness(refresh: RefreshPolicy(successTTL: .seconds(27), failureTTL: .seconds(9)))
        let results = try #require(
            (try await harness.get("/healthcheck?checks=ok,down", headers: bearer)).json["results"] as? [[String: Any]])
        let ttls = results.map { (($0["expires"] as? Double) ?? 0) - (($0["timestamp"] as? Double) ?? 0) }
        #expect(abs(ttls[0] - 27) < 0.1)
        #expect(abs(ttls[1] - 9) < 0.1)
    }

    @Test func statusesAndHeadersAreConfigurable() async throws {
        let harness = try harness {
            $0.path = "/status/check"
            $0.successStatus = 203
            $0.failureStatus = 503
            $0.headers = ["X-Service": "orders"]
        }
        #expect(try await harness.get("/healthcheck", headers: bearer).status == .notFound)
        let ok = try await harness.get("/status/check", headers: bearer)
        #expect(ok.status.code == 203)
        #expect(ok.header("X-Service") == "orders")
        let failing = try await harness.get("/status/check?checks=down", headers: bearer)
        #expect(failing.status == .serviceUnavailable)
        #expect(failing.header("X-Service") == "orders")
    }

    @Test func publicAccessWithholdsOutputs() async throws {
        let harness = try harness { $0.access = .public }
        let response = try await harness.get("/healthcheck?checks=ok,down")
        #expect(response.status == .internalServerError)
        let results = try #require(response.json["results"] as? [[String: Any]])
        #expect(results.map { $0["output"] as? String } == ["", "reason withheld"])
    }

    @Test func environmentHasEverySectionAndRedactsSecretsAtEveryDepth() async throws {
        let environment = [
            "PATH": "/usr/bin", "DB_PASSWORD": "hunter2", "API_TOKEN": "t0ken", "LANG": "C",
            "DATABASE_URL": "postgres://app:hunter2@db:5432/app", "PROBE_HINT": "use s3cret",
            // What redaction by key name let through (#18): none of these is on the list.
            "MYSQL_PWD": "hunter2", "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer do-not-show-this",
            "SENTRY_DSN": "https://do-not-show-this@o1.ingest.sentry.io/2",
            "JDBC_URL": "jdbc:postgresql://db/app?user=app&password=hunter2",
            "GITHUB_PAT": "ghp_do-not-show-this", "OTEL_RESOURCE_ATTRIBUTES": "token=do-not-show-this",
            "PGSERVICE_OPTIONS": "host=db password=hunter2",
        ]
        let yaml = try await DialectFixture.yaml(http: enabled, extra: "service: { show_environment: [DATABASE_URL, PROBE_HINT] }\n")
        try await TestHost.with(yaml: yaml, environment: environment) { host throws in
            #expect(try await host.get("/environment").status == 401)
            let response = try await host.get("/environment", headers: auth)
            #expect(response.status == 200)
            let body = response.json
            #expect(Set(body.keys) == ["os", "runtime", "process", "config", "plugins", "dialectkit"])
            let os = try #require(body["os"] as? [String: Any])
            #expect(os["platform"] as? String == "linux")
            #expect((os["uname"] as? [String])?.count == 5)
            let runtime = try #require(body["runtime"] as? [String: Any])
            #expect(runtime["name"] as? String == "swift")
            #expect(runtime["plugin_abi"] as? String == "1.3")
            let process = try #require(body["process"] as? [String: Any])
            #expect(process["pid"] as? Int == Int(ProcessInfo.processInfo.processIdentifier))
            #expect(process["cwd"] as? String == FileManager.default.currentDirectoryPath)
            #expect((process["argv"] as? [String])?.isEmpty == false)
            #expect(
                process["environ"] as? [String: String]
                    == [
                        "PATH": "/usr/bin", "DB_PASSWORD": "********", "API_TOKEN": "********", "LANG": "C",
                        "DATABASE_URL": "postgres://app:********@db:5432/app", "PROBE_HINT": "use ********",
                        "MYSQL_PWD": "********", "OTEL_EXPORTER_OTLP_HEADERS": "********", "SENTRY_DSN": "********",
                        "JDBC_URL": "********", "GITHUB_PAT": "********", "OTEL_RESOURCE_ATTRIBUTES": "********",
                        "PGSERVICE_OPTIONS": "********",
                    ])
            let config = try #require(body["config"] as? [String: Any])
            #expect((config["auth"] as? [String: String])?["secret"] == "********")
            let pluginConfig = (config["plugins"] as? [String: Any])?["config"] as? [String: Any]
            let db = (pluginConfig?["dialectkit"] as? [String: Any])?["db"] as? [String: String]
            #expect(db == ["host": "db.internal", "password": "********"])
            let plugins = try #require(body["plugins"] as? [String: Any])
            let kit = try #require((plugins["loaded"] as? [String: Any])?["dialectkit"] as? [String: Any])
            #expect(kit["version"] as? String == "2.3.4")
            #expect(kit["abi_version"] as? String == "1.3")
            #expect((kit["sha256"] as? String)?.count == 64)
            #expect(kit["checks"] as? [String] == ["ok", "warn", "down"])
            #expect(plugins["broken"] as? [Any] != nil)
            #expect(
                body["dialectkit"] as? [String: String]
                    == ["maintainer": "platform@example.com", "pool_size": "8", "api_key": "********"])
            #expect(!response.body.contains("hunter2"))
            #expect(!response.body.contains("do-not-show-this"))
            #expect(!response.body.contains(DialectFixture.secret))
        }
    }

    // End to end (with the next two): the sections the config file switches, and a
    // `/healthcheck` served through a socket from the real plugin.
    @Test func sectionsCanBeSwitchedOff() async throws {
        let http = """
              runscope:
                enabled: true
                environment: { process: false, config: false, plugin_sections: false }
            """
        try await TestHost.with(yaml: try DialectFixture.yaml(http: http)) { host throws in
            let body = try await host.get("/environment", headers: auth).json
            #expect(Set(body.keys) == ["os", "runtime", "plugins"])
        }
        let off = "  runscope: { enabled: true, environment: { enabled: false } }"
        try await TestHost.with(yaml: try DialectFixture.yaml(http: off)) { host throws in
            #expect(try await host.get("/environment", headers: auth).status == 404)
            let healthcheck = try await host.get("/healthcheck?checks=ok,down", headers: auth)
            #expect(healthcheck.status == 500)
            #expect(healthcheck.json["hostname"] as? String == (try hostname()))
            let outputs = (healthcheck.json["results"] as? [[String: Any]])?.map { $0["output"] as? String }
            #expect(outputs == ["all good", "connection refused: db:5432"])
        }
    }

    @Test func aFailingInfoFunctionShowsItsReason() async throws {
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.dialectkit(["INFO_FAILS"], fileName: "hh-dialectkit-fails.so")],
            checks: "  - { name: ok, plugin: dialectkit, check: ok }", extra: "http:\n\(enabled)\n")
        try await TestHost.with(yaml: yaml) { host throws in
            let body = try await host.get("/environment?auth=s3cret").json
            #expect(
                body["dialectkit"] as? [String: String]
                    == ["error": "the plugin's info function failed (returned 1): cannot reach the admin socket"])
        }
    }
}
