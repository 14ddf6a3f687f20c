import Foundation
import HealthConfig
import HealthDialects
import HealthHTTP
import NIOHTTP1
import Testing

/// `Accept: application/health+json` on the native endpoint (draft-inadarei-api-health-check):
/// the format end to end once, its selection and negotiation through RouterHarness.
@Suite(.timeLimit(.minutes(2))) struct HealthJSONTests {
    private let headers = ["Accept": "application/health+json", "Authorization": "Bearer \(DialectFixture.secret)"]

    // End to end: `service.name` and `service.version` from the config file, the real
    // plugin's values and timings, through a socket.
    @Test func theDraftsFormatWithPerCheckDetails() async throws {
        let yaml = try await DialectFixture.yaml(extra: "service: { name: orders, version: 1.4.2 }\n")
        try await TestHost.with(yaml: yaml) { host throws in
            let response = try await host.get("/health/", headers: headers)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/health+json")
            #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
            let body = response.json
            #expect(body["status"] as? String == "warn")
            #expect(body["serviceId"] as? String == "orders")
            #expect(body["version"] as? String == "1.4.2")
            let checks = try #require(body["checks"] as? [String: [[String: Any]]])
            #expect(Set(checks.keys) == ["ok", "warn"])
            let ok = try #require(checks["ok"]?.first)
            #expect(ok["status"] as? String == "pass")
            #expect(ok["output"] == nil)  // the draft: no output for pass
            #expect(ok["observedValue"] as? Double == 12)
            #expect(ok["observedUnit"] as? String == "ms")
            #expect(ok["cached"] as? Bool == false)
            #expect((ok["durationSeconds"] as? Double).map { $0 >= 0 && $0 < 5 } == true)
            let time = try #require(ok["time"] as? String)
            let parsed = try Date(time, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            #expect(abs(parsed.timeIntervalSinceNow) < 10)
            let warn = try #require(checks["warn"]?.first)
            #expect(warn["status"] as? String == "warn")
            #expect(warn["output"] as? String == "disk 91% full")
            #expect(warn["observedUnit"] as? String == "percent")
        }
    }

    private let draft = [("Accept", "application/health+json"), ("Authorization", "Bearer \(DialectFixture.secret)")]

    private func harness(healthJSON: Bool = true) throws -> RouterHarness {
        var config = NativeDialectConfiguration()
        config.healthJSON = healthJSON
        return try RouterHarness.dialectFixture { NativeDialect.routes(config, context: $0) }
    }

    @Test func aFailureIs503AndSelectionStillApplies() async throws {
        let harness = try harness()
        let response = try await harness.get("/health/?checks=ok,down", headers: draft)
        #expect(response.status == .serviceUnavailable)
        #expect(response.header("Content-Type") == "application/health+json")
        #expect(response.json["status"] as? String == "fail")
        let down = (response.json["checks"] as? [String: [[String: Any]]])?["down"]?.first
        #expect(down?["output"] as? String == "connection refused: db:5432")
        #expect(try await harness.get("/health/", headers: [("Accept", "application/health+json")]).status == .unauthorized)
    }

    @Test func otherAcceptHeadersGetTheNativeBody() async throws {
        let harness = try harness()
        for accept in ["application/json", "*/*", "application/health+json;q=0"] {
            let response = try await harness.get("/health/?auth=s3cret", headers: [("Accept", accept)])
            #expect(response.header("Content-Type") == "application/json", "\(accept)")
            #expect(response.json["health"] as? String == "running", "\(accept)")
        }
        let off = try self.harness(healthJSON: false)
        #expect(try await off.get("/health/", headers: draft).header("Content-Type") == "application/json")
    }
}
