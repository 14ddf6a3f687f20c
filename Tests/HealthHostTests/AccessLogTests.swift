import Foundation
import HealthConfig
import Testing

/// `logging.access`: one line per request (all, or only failures), the secret never in it.
@Suite(.timeLimit(.minutes(2))) struct AccessLogTests {
    private func yaml(logging: String) async throws -> String {
        hostYAML(
            plugins: [try await PluginCompiler.core(), try await PluginCompiler.testkit()],
            checks: """
                  - { name: foo, plugin: core, check: "true" }
                  - { name: "false", plugin: core, check: "false", default: false }
                  - { name: slow, plugin: testkit, check: slow, default: false, timeout: 0.2 }
                """, extra: "logging: \(logging)\n")
    }

    private func requestLines(_ capture: LogCapture) -> [String] {
        capture.detailed.filter { $0.hasPrefix("info GET ") || $0.hasPrefix("info POST ") }
    }

    @Test func everyRequestIsOneLineWithTheSecretHidden() async throws {
        let capture = LogCapture()
        try await TestHost.with(yaml: try yaml(logging: "{ access: all }"), logger: capture.logger()) { host throws in
            #expect(try await host.get("/health/ping").status == 200)
            #expect(try await host.get("/health/?checks=foo,false&auth=s3cret").status == 503)
            #expect(try await host.get("/health/?auth=wrong").status == 401)
            #expect(try await host.get("/health/?checks=slow", headers: ["Authorization": "Bearer s3cret"]).status == 503)
            #expect(try await host.get("/health/ping?note=a%0Ainfo%20GET%20/forged%20200").status == 200)
            #expect(try await host.get("/health/?auth=%zz").status == 400)
            #expect(try await RawHTTPClient.request(port: host.port, "POST", "/health/ping").status == 405)
            #expect(try await host.get("/health/?auth=s3cret&x=" + String(repeating: "a", count: 9000)).status == 414)

            let lines = requestLines(capture)
            #expect(lines.count == 8, "\(lines)")
            func line(_ index: Int) -> String { index < lines.count ? lines[index] : "" }
            #expect(line(0).hasPrefix("info GET /health/ping 200 http.client=127.0.0.1 http.duration_ms="))
            #expect(!line(0).contains("http.query"))
            #expect(line(1).hasPrefix("info GET /health/ 503 http.client=127.0.0.1 http.duration_ms="))
            #expect(line(1).hasSuffix(" http.query=checks=foo,false&auth=********"))
            #expect(line(2).hasPrefix("info GET /health/ 401 ") && line(2).hasSuffix(" http.query=auth=********"))
            // answered later, after the check timed out on its worker thread
            #expect(line(3).hasPrefix("info GET /health/ 503 ") && line(3).hasSuffix(" http.query=checks=slow"))
            #expect(line(4).hasSuffix(#" http.query=note=a\u{a}info GET /forged 200"#))
            #expect(line(5).hasPrefix("info GET /health/ 400 ") && line(5).hasSuffix(" http.query=(malformed)"))
            #expect(line(6).hasPrefix("info POST /health/ping 405 "))
            #expect(line(7).hasPrefix("info GET /health/ 414 ") && line(7).hasSuffix(" http.query=(not read)"))
            #expect(!capture.detailed.contains { $0.contains("s3cret") || $0.contains("wrong") || $0.contains("%zz") })
            #expect(!capture.detailed.contains { $0.hasPrefix("info GET /forged") })
        }
    }

    @Test func theSecretIsHiddenWhereverAClientPutsIt() async throws {
        let capture = LogCapture()
        try await TestHost.with(yaml: try yaml(logging: "{ access: all }"), logger: capture.logger()) { host throws in
            _ = try await host.get("/health/?token=s3cret")
            _ = try await host.get("/health/?Auth=s3cret")
            _ = try await host.get("/health/s3cret")
            _ = try await host.get("/health/%73%33cret/x")
            _ = try await host.get("/health/?checks=foo,s3cret&exclude=xs3cretx")
            _ = try await host.get("/health/?auth=s3cret&x=" + String(repeating: "s3cret", count: 2000))
            let lines = requestLines(capture)
            #expect(lines.count == 6, "\(lines)")
            #expect(!capture.detailed.contains { $0.contains("s3cret") }, "\(capture.detailed)")
            #expect(lines.contains { $0.contains("http.query=token=********") })
            #expect(lines.contains { $0.hasPrefix("info GET /health/******** ") })
            #expect(lines.contains { $0.hasPrefix("info GET /health/********/x ") })
            #expect(lines.contains { $0.contains("checks=foo,********&exclude=x********x") })
        }
    }

    @Test func failuresLogsOnlyRequestsAnsweredWith400OrMore() async throws {
        let capture = LogCapture()
        try await TestHost.with(yaml: try yaml(logging: "{ access: failures }"), logger: capture.logger()) { host throws in
            #expect(try await host.get("/health/ping").status == 200)
            #expect(try await host.get("/health/?auth=s3cret").status == 200)
            #expect(try await host.get("/health/?checks=false&auth=s3cret").status == 503)
            #expect(try await host.get("/health/?auth=wrong").status == 401)
            #expect(try await host.get("/nowhere").status == 404)
            let garbage = try await RawHTTPClient.exchange(port: host.port, "BLAH\r\n\r\n")
            #expect(RawHTTPClient.parse(garbage.data).first?.status == 400)
            let lines = requestLines(capture)
            #expect(
                lines.map { $0.split(separator: " ").prefix(4).joined(separator: " ") }
                    == ["info GET /health/ 503", "info GET /health/ 401", "info GET /nowhere 404"])
            #expect(capture.detailed.contains { $0.hasPrefix("info - - 400 http.client=127.0.0.1 http.error=malformed request: ") })
        }
    }

    @Test func accessTakesOneOfThreeWords() throws {
        #expect {
            _ = try ConfigurationLoader.parse(yaml: "logging: { access: true }\n", file: "h.yaml", directory: "/etc")
        } throws: { error in
            let error = error as? ConfigError
            return error?.keyPath == "logging.access"
                && error?.message.contains("expected one of 'none', 'failures', 'all', found 'true'") == true
        }
    }

    @Test func requestsAreNotLoggedUnlessAskedFor() async throws {
        let capture = LogCapture()
        try await TestHost.with(yaml: try yaml(logging: "{ level: debug }"), logger: capture.logger()) { host throws in
            #expect(try await host.get("/health/?auth=s3cret").status == 200)
            #expect(requestLines(capture).isEmpty)
        }
    }

    @Test func aLevelThatHidesTheLinesIsAConfigError() throws {
        #expect {
            _ = try ConfigurationLoader.parse(
                yaml: "logging: { level: warning, access: failures }\n", file: "h.yaml", directory: "/etc")
        } throws: { error in
            let error = error as? ConfigError
            return error?.keyPath == "logging.access" && error?.line == 1
                && error?.message.contains("logging.level 'warning' hides") == true
        }
    }
}
