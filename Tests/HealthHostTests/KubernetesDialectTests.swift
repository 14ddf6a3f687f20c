import Foundation
import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthHostApp
import Logging
import NIOHTTP1
import Testing

/// `/livez`, `/readyz`, `/startupz` answer as the Kubernetes API server does: the
/// dialect's rules through the real pipeline over the fixture's checks in process
/// (``RouterHarness/dialectFixture(failingReadiness:refresh:lifecycle:environment:logger:makeRoutes:)``),
/// and the wiring through a socket, the config file and the real plugin at the end.
@Suite(.timeLimit(.minutes(2))) struct KubernetesDialectTests {
    private let bearer = [("Authorization", "Bearer \(DialectFixture.secret)")]

    private func harness(
        failingReadiness: Bool = false, config: KubernetesDialectConfiguration = KubernetesDialectConfiguration(),
        lifecycle: HostLifecycle = HostLifecycle(), logger: Logger = TestHost.logger
    ) throws -> RouterHarness {
        try RouterHarness.dialectFixture(failingReadiness: failingReadiness, lifecycle: lifecycle, logger: logger) {
            KubernetesDialect.routes(config, context: $0)
        }
    }

    @Test func passingGroupsAnswerOkAsPlainText() async throws {
        let harness = try harness()
        for path in ["/livez", "/readyz", "/startupz"] {
            let response = try await harness.get(path)
            #expect(response.status == .ok, "\(path)")
            #expect(response.text == "ok", "\(path)")
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(response.header("X-Content-Type-Options") == "nosniff")
            #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
        }
    }

    @Test func verbosePrintsOneLinePerCheck() async throws {
        let harness = try harness()
        let ready = try await harness.get("/readyz?verbose")
        #expect(ready.status == .ok)
        #expect(ready.text == "[+]ok ok\n[+]warn ok\nreadyz check passed\n")
        #expect(try await harness.get("/livez?verbose=1").text == "[+]ok ok\nlivez check passed\n")
    }

    @Test func aFailureWithholdsTheReasonFromAnonymousCallersAndLogsIt() async throws {
        let capture = LogCapture()
        let harness = try harness(failingReadiness: true, logger: capture.logger())
        let anonymous = try await harness.get("/readyz")
        #expect(anonymous.status == .internalServerError)
        #expect(anonymous.text == "[+]ok ok\n[+]warn ok\n[-]down failed: reason withheld\nreadyz check failed\n")
        let reason = "check.message=connection refused: db:5432 check.name=down"
        func withheld(_ line: String) -> Bool { line.contains("reason is withheld") && line.contains(reason) }
        #expect(capture.detailed.contains(where: withheld))
        // Probed again and again, the same reason is logged once a minute, not per request.
        for _ in 0..<3 { _ = try await harness.get("/readyz") }
        #expect(capture.detailed.filter(withheld).count == 1)

        let authorised = try await harness.get("/readyz?verbose", headers: bearer)
        #expect(authorised.status == .internalServerError)
        #expect(authorised.text.contains("[-]down failed: connection refused: db:5432\n"))
        #expect(try await harness.get("/readyz?auth=\(DialectFixture.secret)").text.contains("connection refused"))
        #expect(try await harness.get("/livez").status == .ok)
    }

    @Test func excludedChecksAreSkippedAndUnknownExclusionsWarn() async throws {
        let harness = try harness(failingReadiness: true)
        let response = try await harness.get("/readyz?verbose&exclude=down&exclude=nope")
        #expect(response.status == .ok)
        #expect(
            response.text
                == "[+]ok ok\n[+]warn ok\n[+]down excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"nope\"\nreadyz check passed\n"
        )
        #expect(try await harness.get("/readyz?exclude=down").text == "ok")
    }

    @Test func oneCheckOfAGroupHasItsOwnPath() async throws {
        let harness = try harness(failingReadiness: true)
        let ok = try await harness.get("/readyz/ok")
        #expect(ok.status == .ok)
        #expect(ok.text == "ok")
        let down = try await harness.get("/readyz/down")
        #expect(down.status == .internalServerError)
        #expect(down.text == "internal server error: reason withheld\n")
        #expect(try await harness.get("/readyz/down", headers: bearer).text == "internal server error: connection refused: db:5432\n")
        // Only members of the group have a path; unknown names are 404.
        #expect(try await harness.get("/livez/down").status == .notFound)
        #expect(try await harness.get("/readyz/nope").status == .notFound)
    }

    @Test func readinessFailsOnceShutdownBeginsWhileLivenessPasses() async throws {
        let lifecycle = HostLifecycle()
        let harness = try harness(lifecycle: lifecycle)
        #expect(try await harness.get("/readyz").status == .ok)
        lifecycle.beginShutdown()
        let ready = try await harness.get("/readyz")
        #expect(ready.status == .internalServerError)
        #expect(ready.text == "[+]ok ok\n[+]warn ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n")
        #expect(try await harness.get("/readyz", headers: bearer).text.contains("[-]shutdown failed: the host is shutting down\n"))
        #expect(try await harness.get("/livez").text == "ok")
        #expect(try await harness.get("/startupz").status == .ok)
    }

    @Test func prefixFailureStatusAndRequiredAccessAreConfigurable() async throws {
        var config = KubernetesDialectConfiguration()
        config.prefix = "/k8s"
        config.failureStatus = 503
        config.access = .required
        let harness = try harness(failingReadiness: true, config: config)
        #expect(try await harness.get("/readyz").status == .notFound)
        #expect(try await harness.get("/k8s/readyz").status == .unauthorized)
        let response = try await harness.get("/k8s/readyz", headers: bearer)
        #expect(response.status == .serviceUnavailable)
        #expect(response.text.hasSuffix("readyz check failed\n"))
    }

    @Test func aGroupWithoutChecksPasses() async throws {
        let fakes = RouterHarness.FakeChecks()
        let harness = try RouterHarness(checks: [fakes.check("ok")]) {
            KubernetesDialect.routes(KubernetesDialectConfiguration(), context: $0)
        }
        #expect(try await harness.get("/readyz").text == "ok")
        #expect(try await harness.get("/livez?verbose").text == "livez check passed\n")
    }
}

/// Through a socket, from the config file and the real plugin: the wiring the in-process
/// tests above take for granted.
extension KubernetesDialectTests {
    // End to end: the `http.kubernetes` keys read from YAML, the dialectkit plugin's
    // results, the server's framing.
    @Test func theConfiguredRoutesServeThePluginsResultsThroughASocket() async throws {
        let http = "  kubernetes: { prefix: /k8s, failure_status: 503, access: required }"
        try await TestHost.with(yaml: try DialectFixture.yaml(failingReadiness: true, http: http)) { host throws in
            #expect(try await host.get("/readyz").status == 404)
            #expect(try await host.get("/k8s/readyz").status == 401)
            let auth = ["Authorization": "Bearer \(DialectFixture.secret)"]
            let ready = try await host.get("/k8s/readyz?verbose", headers: auth)
            #expect(ready.status == 503)
            #expect(ready.body == "[+]ok ok\n[+]warn ok\n[-]down failed: connection refused: db:5432\nreadyz check failed\n")
            let live = try await host.get("/k8s/livez", headers: auth)
            #expect(live.status == 200)
            #expect(live.body == "ok")
            #expect(live.header("Content-Type") == "text/plain; charset=utf-8")
        }
    }

    // End to end: closing keep-alive connections is the server's part of a shutdown.
    @Test func keepAliveClientsAreToldToGoOnceShutdownBegins() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            host.app.lifecycle.beginShutdown()
            #expect(try await host.get("/readyz").status == 500)
            let exchange = try await RawHTTPClient.exchange(port: host.port, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(exchange.closedByServer)
            #expect(RawHTTPClient.parse(exchange.data).first?.header("Connection") == "close")
        }
    }
}
