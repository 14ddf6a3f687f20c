import Foundation
import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import Logging
import NIOHTTP1
import Testing

/// oarepo-heartbeat's `/.well-known/heartbeat/...`: readiness and liveliness through the
/// real pipeline over the fixture's checks in process; `environ`, which lists the loaded
/// plugins, through a real host.
@Suite(.timeLimit(.minutes(2))) struct HeartbeatDialectTests {
    private let auth = ["Authorization": "Bearer \(DialectFixture.secret)"]
    private let bearer = [("Authorization", "Bearer \(DialectFixture.secret)")]
    private let enabled = "  heartbeat: { enabled: true }"
    private let base = "/.well-known/heartbeat"

    private func harness(failingReadiness: Bool = false, lifecycle: HostLifecycle = HostLifecycle()) throws -> RouterHarness {
        var config = HeartbeatDialectConfiguration()
        config.enabled = true
        return try RouterHarness.dialectFixture(failingReadiness: failingReadiness, lifecycle: lifecycle) {
            HeartbeatDialect.routes(config, context: $0)
        }
    }

    @Test func readinessAndLivelinessHaveTheSeedsShape() async throws {
        let harness = try harness()
        let ready = try await harness.get("\(base)/readiness")
        #expect(ready.status == .ok)
        #expect(ready.header("Content-Type") == "application/json")
        #expect(ready.text == #"{"checks":{"ok":{"status":true},"warn":{"status":true}},"status":true}"#)
        let live = try await harness.get("\(base)/liveliness", headers: bearer)
        #expect(
            live.text
                == #"{"checks":{"ok":{"message":"all good","observed_unit":"ms","observed_value":12,"status":true}},"status":true}"#
        )
    }

    @Test func aFailureIs500AndWithholdsTheMessageWithoutTheSecret() async throws {
        let harness = try harness(failingReadiness: true)
        let anonymous = try await harness.get("\(base)/readiness")
        #expect(anonymous.status == .internalServerError)
        #expect(anonymous.json["status"] as? Bool == false)
        let checks = try #require(anonymous.json["checks"] as? [String: [String: Any]])
        #expect(checks["down"]?["status"] as? Bool == false)
        #expect(checks["down"]?["message"] as? String == "reason withheld")
        let authorised = try #require(try await harness.get("\(base)/readiness", headers: bearer).json["checks"] as? [String: [String: Any]])
        #expect(authorised["down"]?["message"] as? String == "connection refused: db:5432")
        #expect(try await harness.get("\(base)/liveliness").status == .ok)
    }

    @Test func noContributorsMeans200() async throws {
        var config = HeartbeatDialectConfiguration()
        config.enabled = true
        let fakes = RouterHarness.FakeChecks()
        let harness = try RouterHarness(checks: [fakes.check("ok")]) { HeartbeatDialect.routes(config, context: $0) }
        let response = try await harness.get("\(base)/readiness")
        #expect(response.status == .ok)
        #expect(response.text == #"{"checks":{},"status":true}"#)
    }

    @Test func readinessTurnsFalseWhenShutdownBegins() async throws {
        let lifecycle = HostLifecycle()
        let harness = try harness(lifecycle: lifecycle)
        lifecycle.beginShutdown()
        let ready = try await harness.get("\(base)/readiness", headers: bearer)
        #expect(ready.status == .internalServerError)
        let shutdown = (ready.json["checks"] as? [String: [String: Any]])?["shutdown"]
        #expect(shutdown?["status"] as? Bool == false)
        #expect(shutdown?["message"] as? String == "the host is shutting down")
        #expect(try await harness.get("\(base)/liveliness").status == .ok)
    }

    // End to end: `environ` lists the plugins the host loaded, and the readiness route
    // serves the real plugin's results through a socket.
    @Test func environListsPluginsRuntimeAndInfoSections() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml(http: enabled)) { host throws in
            let ready = try await host.get("\(base)/readiness", headers: auth)
            #expect(ready.status == 200)
            #expect((ready.json["checks"] as? [String: [String: Any]])?["warn"]?["message"] as? String == "disk 91% full")
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
