import Foundation
import Testing

/// oarepo-heartbeat's `/.well-known/heartbeat/...`.
@Suite(.timeLimit(.minutes(2))) struct HeartbeatDialectTests {
    private let auth = ["Authorization": "Bearer \(DialectFixture.secret)"]
    private let enabled = "  heartbeat: { enabled: true }"
    private let base = "/.well-known/heartbeat"

    @Test func readinessAndLivelinessHaveTheSeedsShape() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml(http: enabled)) { host throws in
            let ready = try await host.get("\(base)/readiness")
            #expect(ready.status == 200)
            #expect(ready.header("Content-Type") == "application/json")
            #expect(ready.body == #"{"checks":{"ok":{"status":true},"warn":{"status":true}},"status":true}"#)
            let live = try await host.get("\(base)/liveliness", headers: auth)
            #expect(
                live.body
                    == #"{"checks":{"ok":{"message":"all good","observed_unit":"ms","observed_value":12,"status":true}},"status":true}"#
            )
        }
    }

    @Test func aFailureIs500AndWithholdsTheMessageWithoutTheSecret() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml(failingReadiness: true, http: enabled)) { host throws in
            let anonymous = try await host.get("\(base)/readiness")
            #expect(anonymous.status == 500)
            #expect(anonymous.json["status"] as? Bool == false)
            let checks = try #require(anonymous.json["checks"] as? [String: [String: Any]])
            #expect(checks["down"]?["status"] as? Bool == false)
            #expect(checks["down"]?["message"] as? String == "reason withheld")
            let authorised = try #require(try await host.get("\(base)/readiness", headers: auth).json["checks"] as? [String: [String: Any]])
            #expect(authorised["down"]?["message"] as? String == "connection refused: db:5432")
            #expect(try await host.get("\(base)/liveliness").status == 200)
        }
    }

    @Test func noContributorsMeans200() async throws {
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.dialectkit()], checks: "  - { name: ok, plugin: dialectkit, check: ok }",
            extra: "http:\n\(enabled)\n")
        try await TestHost.with(yaml: yaml) { host throws in
            let response = try await host.get("\(base)/readiness")
            #expect(response.status == 200)
            #expect(response.body == #"{"checks":{},"status":true}"#)
        }
    }

    @Test func readinessTurnsFalseWhenShutdownBegins() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml(http: enabled)) { host throws in
            host.app.lifecycle.beginShutdown()
            let ready = try await host.get("\(base)/readiness", headers: auth)
            #expect(ready.status == 500)
            let shutdown = (ready.json["checks"] as? [String: [String: Any]])?["shutdown"]
            #expect(shutdown?["status"] as? Bool == false)
            #expect(shutdown?["message"] as? String == "the host is shutting down")
            #expect(try await host.get("\(base)/liveliness").status == 200)
        }
    }

    @Test func environListsPluginsRuntimeAndInfoSections() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml(http: enabled)) { host throws in
            #expect(try await host.get("\(base)/environ").status == 401)
            let body = try await host.get("\(base)/environ", headers: auth).json
            #expect(body["status"] as? Bool == true)
            let libraries = try #require(body["libraries"] as? [String: [String: Any]])
            #expect(libraries["dialectkit"]?["version"] as? String == "2.3.4")
            #expect(libraries["dialectkit"]?["conflicts"] is NSNull)
            #expect((body["swift"] as? [Int])?.first == 6)
            #expect((body["dialectkit"] as? [String: String])?["api_key"] == "********")
        }
    }
}
