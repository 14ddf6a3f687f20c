import Foundation
import Testing

/// `/livez`, `/readyz`, `/startupz` answer as the Kubernetes API server does.
@Suite(.timeLimit(.minutes(2))) struct KubernetesDialectTests {
    private let auth = ["Authorization": "Bearer \(DialectFixture.secret)"]

    @Test func passingGroupsAnswerOkAsPlainText() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            for path in ["/livez", "/readyz", "/startupz"] {
                let response = try await host.get(path)
                #expect(response.status == 200, "\(path)")
                #expect(response.body == "ok", "\(path)")
                #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
                #expect(response.header("X-Content-Type-Options") == "nosniff")
                #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
            }
        }
    }

    @Test func verbosePrintsOneLinePerCheck() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            let ready = try await host.get("/readyz?verbose")
            #expect(ready.status == 200)
            #expect(ready.body == "[+]ok ok\n[+]warn ok\nreadyz check passed\n")
            let live = try await host.get("/livez?verbose=1")
            #expect(live.body == "[+]ok ok\nlivez check passed\n")
        }
    }

    @Test func aFailureWithholdsTheReasonFromAnonymousCallersAndLogsIt() async throws {
        let capture = LogCapture()
        try await TestHost.with(yaml: try DialectFixture.yaml(failingReadiness: true), logger: capture.logger()) { host throws in
            let anonymous = try await host.get("/readyz")
            #expect(anonymous.status == 500)
            #expect(anonymous.body == "[+]ok ok\n[+]warn ok\n[-]down failed: reason withheld\nreadyz check failed\n")
            let reason = "check.message=connection refused: db:5432 check.name=down"
            func withheld(_ line: String) -> Bool { line.contains("reason is withheld") && line.contains(reason) }
            #expect(capture.detailed.contains(where: withheld))
            // Probed again and again, the same reason is logged once a minute, not per request.
            for _ in 0..<3 { _ = try await host.get("/readyz") }
            #expect(capture.detailed.filter(withheld).count == 1)

            let authorised = try await host.get("/readyz?verbose", headers: auth)
            #expect(authorised.status == 500)
            #expect(authorised.body.contains("[-]down failed: connection refused: db:5432\n"))
            #expect(try await host.get("/readyz?auth=\(DialectFixture.secret)").body.contains("connection refused"))
            #expect(try await host.get("/livez").status == 200)
        }
    }

    @Test func excludedChecksAreSkippedAndUnknownExclusionsWarn() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml(failingReadiness: true)) { host throws in
            let response = try await host.get("/readyz?verbose&exclude=down&exclude=nope")
            #expect(response.status == 200)
            #expect(
                response.body
                    == "[+]ok ok\n[+]warn ok\n[+]down excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"nope\"\nreadyz check passed\n"
            )
            #expect(try await host.get("/readyz?exclude=down").body == "ok")
        }
    }

    @Test func oneCheckOfAGroupHasItsOwnPath() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml(failingReadiness: true)) { host throws in
            let ok = try await host.get("/readyz/ok")
            #expect(ok.status == 200)
            #expect(ok.body == "ok")
            let down = try await host.get("/readyz/down")
            #expect(down.status == 500)
            #expect(down.body == "internal server error: reason withheld\n")
            #expect(try await host.get("/readyz/down", headers: auth).body == "internal server error: connection refused: db:5432\n")
            // Only members of the group have a path; unknown names are 404.
            #expect(try await host.get("/livez/down").status == 404)
            #expect(try await host.get("/readyz/nope").status == 404)
        }
    }

    @Test func readinessFailsOnceShutdownBeginsWhileLivenessPasses() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            #expect(try await host.get("/readyz").status == 200)
            host.app.lifecycle.beginShutdown()
            let ready = try await host.get("/readyz")
            #expect(ready.status == 500)
            #expect(ready.body == "[+]ok ok\n[+]warn ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n")
            #expect(try await host.get("/readyz", headers: auth).body.contains("[-]shutdown failed: the host is shutting down\n"))
            #expect(try await host.get("/livez").body == "ok")
            #expect(try await host.get("/startupz").status == 200)
            // Keep-alive clients are told to go: the connection closes after the response.
            let exchange = try await RawHTTPClient.exchange(port: host.port, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(exchange.closedByServer)
            #expect(RawHTTPClient.parse(exchange.data).first?.header("Connection") == "close")
        }
    }

    @Test func prefixFailureStatusAndRequiredAccessAreConfigurable() async throws {
        let http = "  kubernetes: { prefix: /k8s, failure_status: 503, access: required }"
        try await TestHost.with(yaml: try DialectFixture.yaml(failingReadiness: true, http: http)) { host throws in
            #expect(try await host.get("/readyz").status == 404)
            #expect(try await host.get("/k8s/readyz").status == 401)
            let response = try await host.get("/k8s/readyz", headers: auth)
            #expect(response.status == 503)
            #expect(response.body.hasSuffix("readyz check failed\n"))
        }
    }

    @Test func aGroupWithoutChecksPasses() async throws {
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.dialectkit()], checks: "  - { name: ok, plugin: dialectkit, check: ok }")
        try await TestHost.with(yaml: yaml) { host throws in
            #expect(try await host.get("/readyz").body == "ok")
            #expect(try await host.get("/livez?verbose").body == "livez check passed\n")
        }
    }
}
