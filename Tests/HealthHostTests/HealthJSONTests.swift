import Foundation
import Testing

/// `Accept: application/health+json` on the native endpoint (draft-inadarei-api-health-check).
@Suite(.timeLimit(.minutes(2))) struct HealthJSONTests {
    private let headers = ["Accept": "application/health+json", "Authorization": "Bearer \(DialectFixture.secret)"]

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

    @Test func aFailureIs503AndSelectionStillApplies() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            let response = try await host.get("/health/?checks=ok,down", headers: headers)
            #expect(response.status == 503)
            #expect(response.json["status"] as? String == "fail")
            let down = (response.json["checks"] as? [String: [[String: Any]]])?["down"]?.first
            #expect(down?["output"] as? String == "connection refused: db:5432")
            #expect(try await host.get("/health/", headers: ["Accept": "application/health+json"]).status == 401)
        }
    }

    @Test func otherAcceptHeadersGetTheNativeBody() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            for accept in ["application/json", "*/*", "application/health+json;q=0"] {
                let response = try await host.get("/health/?auth=s3cret", headers: ["Accept": accept])
                #expect(response.header("Content-Type") == "application/json", "\(accept)")
                #expect(response.json["health"] as? String == "running", "\(accept)")
            }
        }
        let off = try await DialectFixture.yaml(http: "  native: { health_json: false }")
        try await TestHost.with(yaml: off) { host throws in
            #expect(try await host.get("/health/", headers: headers).header("Content-Type") == "application/json")
        }
    }
}
