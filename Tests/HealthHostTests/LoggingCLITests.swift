import Foundation
import Testing

/// The real `healthhost serve`'s log: `logging.format: json` (one object per line, the
/// metadata as fields) and one line per change of a check's status.
@Suite(.timeLimit(.minutes(2))) struct LoggingCLITests {
    /// A check whose exit code (and so status) the test sets by writing `code`.
    private func yaml(directory: String, format: String) -> String {
        let command = "/bin/sh -c 'echo \\\"db: $(cat \(directory)/message)\\\"; exit $(cat \(directory)/code)'"
        return hostYAML(
            plugins: [TestPaths.builtLibrary("libhh-nagios.so")], auth: "{ secret: t0p-s3cret-value }",
            checks: "  - { name: db, plugin: nagios, check: run, args: { command: \"\(command)\" } }",
            extra: "logging: { format: \(format), access: all }\n")
    }

    private func set(_ directory: String, code: Int, message: String) throws {
        try "\(code)".write(toFile: "\(directory)/code", atomically: true, encoding: .utf8)
        try message.write(toFile: "\(directory)/message", atomically: true, encoding: .utf8)
    }

    @Test func jsonLinesCarryTheMetadataAsFieldsAndEveryStatusChangeOnce() async throws {
        let directory = TestPaths.temporaryDirectory("logging")
        try set(directory, code: 0, message: "accepting connections")
        let served = try ServedHost(yaml: yaml(directory: directory, format: "json"))
        try await served.waitUntilServing()
        let probe = "/health/?checks=db&auth=t0p-s3cret-value"
        #expect(try await RawHTTPClient.request(port: served.port, "GET", probe).status == 200)
        #expect(try await RawHTTPClient.request(port: served.port, "GET", probe).status == 200)
        try set(directory, code: 2, message: "connection refused")
        #expect(try await RawHTTPClient.request(port: served.port, "GET", probe).status == 503)
        #expect(try await RawHTTPClient.request(port: served.port, "GET", probe).status == 503)
        try set(directory, code: 0, message: "accepting connections")
        #expect(try await RawHTTPClient.request(port: served.port, "GET", probe).status == 200)
        let log = try await served.terminate()

        let lines = log.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            objects.append(try #require(object, "not a JSON object: \(line)"))
        }
        for object in objects {
            #expect(object["time"] is String && object["level"] is String && object["message"] is String)
        }
        // Every request, with the secret hidden.
        let requests = objects.filter { ($0["message"] as? String)?.hasPrefix("GET /health/ ") == true }
        #expect(requests.count == 5)
        #expect(requests.first?["http.query"] as? String == "checks=db&auth=********")
        #expect(!log.contains("t0p-s3cret-value"))
        // The status changes: fail (a warning), then pass again (a notice); the passes in a
        // row and the second failure log nothing.
        let changes = objects.filter { ($0["message"] as? String)?.hasPrefix("check status") == true }
        #expect(changes.count == 2, "\(changes)")
        let failed = try #require(changes.first)
        #expect(failed["level"] as? String == "warning")
        #expect(failed["check.name"] as? String == "db")
        #expect(failed["check.status"] as? String == "fail")
        #expect(failed["check.previous_status"] as? String == "pass")
        #expect(failed["check.message"] as? String == "db: connection refused")
        #expect(failed["check.previous_status_seconds"] is String)
        #expect(failed["check.duration_ms"] is String)
        let recovered = try #require(changes.last)
        #expect(recovered["level"] as? String == "notice")
        #expect(recovered["check.status"] as? String == "pass")
        #expect(recovered["check.previous_status"] as? String == "fail")
    }

    @Test func textLinesKeepTheStreamLogHandlerShape() async throws {
        let directory = TestPaths.temporaryDirectory("logging")
        try set(directory, code: 2, message: "down")
        let served = try ServedHost(yaml: yaml(directory: directory, format: "text"))
        try await served.waitUntilServing()
        #expect(try await RawHTTPClient.request(port: served.port, "GET", "/health/?checks=db&auth=t0p-s3cret-value").status == 503)
        let log = try await served.terminate()
        let change = try #require(log.split(separator: "\n").first { $0.contains("check status: first result is fail") })
        // `TIME warning healthhost: key=value ... [HealthCore] message`
        #expect(change.contains(" warning healthhost: check.duration_ms="))
        #expect(change.contains("check.message=db: down check.name=db"))
        #expect(change.hasSuffix("[HealthCore] check status: first result is fail"))
        #expect(!log.contains("t0p-s3cret-value"))
    }
}
