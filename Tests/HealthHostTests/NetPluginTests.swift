import Foundation
import HealthCore
import HealthHostApp
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The bundled `net` plugin against a real nginx (HTTP and HTTPS with certificates made
/// for the test), a port nobody listens on, and a listener that never answers.
/// Serialized: every host in this process shares the one loaded image of the plugin,
/// whose shutdown closes the connections of all of them.
@Suite(.timeLimit(.minutes(2)), .serialized) struct NetPluginTests {
    private let plugin = TestPaths.builtLibrary("libhh-net.so")

    /// Reports of `checks` (YAML entries of plugin `net`), each asked `times` times.
    private func reports(_ checks: String, times: Int = 1, logger: LogCapture? = nil) async throws -> [String: CheckReport] {
        let yaml = hostYAML(plugins: [plugin], auth: "{ disabled: true }", checks: checks)
        var reports: [String: CheckReport] = [:]
        try await TestHost.with(yaml: yaml, logger: logger?.logger() ?? TestHost.logger) { host throws in
            for check in host.app.registry.checks {
                for _ in 0..<times { reports[check.name] = try await host.report(check.name) }
            }
        }
        return reports
    }

    @Test func httpReportsWhatItDidAndEachDistinctFailure() async throws {
        let nginx = try await NginxFixture()
        let silent = try SilentListener()
        let base = "http://127.0.0.1:\(nginx.http)"
        let results = try await reports(
            """
              - { name: ok, plugin: net, check: http, args: { url: "\(base)/health", body_contains: healthy, body_regex: "^ok [a-z]+$" } }
              - { name: down, plugin: net, check: http, args: { url: "\(base)/down" } }
              - { name: down-allowed, plugin: net, check: http, args: { url: "\(base)/down", expect_status: "200,503" } }
              - { name: moved, plugin: net, check: http, args: { url: "\(base)/moved", expect_status: "200" } }
              - { name: followed, plugin: net, check: http, args: { url: "\(base)/moved", follow_redirects: true, expect_status: "200" } }
              - { name: body, plugin: net, check: http, args: { url: "\(base)/health", body_contains: "sick" } }
              - { name: regex, plugin: net, check: http, args: { url: "\(base)/health", body_regex: "^fine" } }
              - { name: refused, plugin: net, check: http, args: { url: "http://127.0.0.1:1/health" } }
              - { name: dns, plugin: net, check: http, args: { url: "http://no-such-host.invalid/health" } }
              - { name: silent, plugin: net, check: http, timeout: 0.5, args: { url: "http://127.0.0.1:\(silent.port)/" } }
              - { name: auth, plugin: net, check: http, args: { url: "\(base)/auth", header: "Authorization: Bearer t0ps3cret" } }
            """)
        let ok = try #require(results["ok"])
        #expect(ok.result.status == .pass)
        #expect(ok.result.message.hasPrefix("GET \(base)/health → 200 in "), "\(ok.result.message)")
        #expect(ok.result.observedUnit == "ms")
        #expect(results["down"]?.result.message.hasPrefix("GET \(base)/down → 503 in ") == true)
        #expect(results["down"]?.result.message.hasSuffix("expected 200-399") == true)
        #expect(results["down-allowed"]?.result.status == .pass)
        #expect(results["moved"]?.result.message.contains("→ 302 in ") == true && results["moved"]?.result.status == .fail)
        #expect(results["followed"]?.result.status == .pass)
        #expect(results["body"]?.result.message == "GET \(base)/health → 200, but the body does not contain 'sick'")
        #expect(results["regex"]?.result.message == "GET \(base)/health → 200, but the body does not match /^fine/")
        #expect(results["refused"]?.result.message.hasPrefix("GET http://127.0.0.1:1/health: connection refused") == true)
        #expect(
            results["dns"]?.result.message.hasPrefix("GET http://no-such-host.invalid/health: cannot resolve the host (DNS)") == true,
            "\(results["dns"]?.result.message ?? "")")
        #expect(
            results["silent"]?.result.message.hasPrefix("GET http://127.0.0.1:\(silent.port)/: timed out after ") == true,
            "\(results["silent"]?.result.message ?? "")")
        #expect(results["auth"]?.result.status == .pass)
    }

    @Test func httpKeepsOneConnectionPerConfiguredCheck() async throws {
        let nginx = try await NginxFixture()
        _ = try await reports(
            "  - { name: probe, plugin: net, check: http, args: { url: \"http://127.0.0.1:\(nginx.http)/health\" } }",
            times: 6)
        // nginx writes a request's log line after it has sent the answer: wait for the sixth.
        var lines: [Substring] = []
        _ = try await eventually {
            lines = try String(contentsOfFile: nginx.accessLog, encoding: .utf8).split(separator: "\n")
            return lines.count >= 6
        }
        #expect(lines.count == 6)
        #expect(Set(lines.map { $0.split(separator: " ").first ?? "" }).count == 1, "\(lines)")
    }

    @Test func httpsVerifiesAgainstTheGivenCAAndSaysWhyItFails() async throws {
        let nginx = try await NginxFixture()
        let results = try await reports(
            """
              - { name: valid, plugin: net, check: http, args: { url: "https://localhost:\(nginx.httpsValid)/health", ca_file: "\(nginx.caFile)" } }
              - { name: untrusted, plugin: net, check: http, args: { url: "https://localhost:\(nginx.httpsValid)/health" } }
              - { name: wrongname, plugin: net, check: http, args: { url: "https://localhost:\(nginx.httpsWrongName)/health", ca_file: "\(nginx.caFile)" } }
              - { name: unverified, plugin: net, check: http, args: { url: "https://localhost:\(nginx.httpsSelfSigned)/health", tls_verify: false } }
            """)
        #expect(results["valid"]?.result.status == .pass, "\(results["valid"]?.result.message ?? "")")
        #expect(results["untrusted"]?.result.message.contains("TLS verification failed") == true, "\(results["untrusted"]?.result.message ?? "")")
        #expect(results["wrongname"]?.result.message.contains("TLS verification failed") == true, "\(results["wrongname"]?.result.message ?? "")")
        #expect(results["unverified"]?.result.status == .pass)
    }

    @Test func tlsReportsTheEarliestExpiryOfTheVerifiedChain() async throws {
        let nginx = try await NginxFixture()
        let silent = try SilentListener()
        let ca = nginx.caFile
        let results = try await reports(
            """
              - { name: valid, plugin: net, check: tls, args: { host: 127.0.0.1, port: \(nginx.httpsValid), server_name: localhost, ca_file: "\(ca)" } }
              - { name: ca-soon, plugin: net, check: tls, args: { host: 127.0.0.1, port: \(nginx.httpsValid), server_name: localhost, ca_file: "\(ca)", warn_days: 60, fail_days: 7 } }
              - { name: expiring, plugin: net, check: tls, args: { host: 127.0.0.1, port: \(nginx.httpsExpiring), server_name: localhost, ca_file: "\(ca)" } }
              - { name: wrongname, plugin: net, check: tls, args: { host: 127.0.0.1, port: \(nginx.httpsWrongName), server_name: localhost, ca_file: "\(ca)" } }
              - { name: selfsigned, plugin: net, check: tls, args: { host: 127.0.0.1, port: \(nginx.httpsSelfSigned), server_name: localhost, ca_file: "\(ca)" } }
              - { name: closed, plugin: net, check: tls, args: { host: 127.0.0.1, port: 1 } }
              - { name: silent, plugin: net, check: tls, timeout: 0.5, args: { host: 127.0.0.1, port: \(silent.port), server_name: localhost } }
            """)
        // The leaf is good for 365 days, the CA for 30: the CA expires first.
        let valid = try #require(results["valid"]?.result)
        #expect(valid.status == .pass)
        // 29 or 30: the whole days left of a 30-day CA made a moment ago.
        #expect(
            ["29", "30"].contains { valid.message.hasPrefix("certificate of localhost is valid for \($0) more days (until ") },
            "\(valid.message)")
        #expect(valid.observedUnit == "days")
        #expect(results["ca-soon"]?.result.status == .warn)
        #expect(["29", "30"].contains { results["ca-soon"]?.result.message.contains("expires in \($0) days") == true })
        #expect(results["ca-soon"]?.result.message.hasSuffix("below warn_days 60") == true)
        let expiring = try #require(results["expiring"]?.result)
        #expect(expiring.status == .fail)
        #expect(
            ["2", "3"].contains { expiring.message.hasPrefix("certificate of localhost expires in \($0) days (") },
            "\(expiring.message)")
        #expect(expiring.message.hasSuffix("), below fail_days 7"))
        #expect(
            results["wrongname"]?.result.message.hasPrefix("TLS verification of localhost failed: ") == true,
            "\(results["wrongname"]?.result.message ?? "")")
        #expect(results["selfsigned"]?.result.message.contains("TLS verification of localhost failed") == true)
        #expect(results["closed"]?.result.message == "127.0.0.1:1 refused the connection")
        #expect(results["silent"]?.result.message == "the TLS handshake with localhost timed out")
    }

    @Test func tcpConnectsSendsExpectsAndSaysWhatItGot() async throws {
        let nginx = try await NginxFixture()
        let silent = try SilentListener()
        let results = try await reports(
            """
              - { name: open, plugin: net, check: tcp, args: { host: 127.0.0.1, port: \(nginx.http) } }
              - { name: talk, plugin: net, check: tcp, args: { host: 127.0.0.1, port: \(nginx.http), send: "GET /health HTTP/1.0\\\\r\\\\n\\\\r\\\\n", expect: "ok healthy" } }
              - { name: wrong, plugin: net, check: tcp, args: { host: 127.0.0.1, port: \(nginx.http), send: "GET /down HTTP/1.0\\\\r\\\\n\\\\r\\\\n", expect: "+PONG" } }
              - { name: tls, plugin: net, check: tcp, args: { host: localhost, port: \(nginx.httpsSelfSigned), tls: true } }
              - { name: refused, plugin: net, check: tcp, args: { host: 127.0.0.1, port: 1 } }
              - { name: silent, plugin: net, check: tcp, timeout: 0.5, args: { host: 127.0.0.1, port: \(silent.port), expect: "hello" } }
              - { name: badport, plugin: net, check: tcp, args: { host: 127.0.0.1, port: 70000 } }
            """)
        #expect(results["open"]?.result.message.hasPrefix("connected to 127.0.0.1:\(nginx.http) in ") == true)
        #expect(results["talk"]?.result.status == .pass, "\(results["talk"]?.result.message ?? "")")
        let wrong = try #require(results["wrong"]?.result)
        #expect(wrong.status == .fail)
        #expect(wrong.message.hasPrefix("127.0.0.1:\(nginx.http) answered without '+PONG' within "), "\(wrong.message)")
        #expect(wrong.message.contains("(it said 'HTTP/1.1 503"))
        #expect(results["tls"]?.result.message.contains("TLS verification of localhost failed") == true)
        #expect(results["refused"]?.result.message == "127.0.0.1:1 refused the connection")
        #expect(results["silent"]?.result.message.hasSuffix("(it said nothing)") == true, "\(results["silent"]?.result.message ?? "")")
        #expect(results["badport"]?.result.message == "port 70000 is not from 1 to 65535")
    }

    @Test func secretHeadersNeverReachAResultOrTheLog() async throws {
        let nginx = try await NginxFixture()
        let capture = LogCapture()
        let results = try await reports(
            "  - { name: auth, plugin: net, check: http, args: { url: \"http://user:hunter2@127.0.0.1:\(nginx.http)/down\", header: \"Authorization: Bearer t0ps3cret\" } }",
            logger: capture)
        let message = try #require(results["auth"]?.result.message)
        #expect(message.hasPrefix("GET http://user:********@127.0.0.1:\(nginx.http)/down → 503"), "\(message)")
        #expect(!message.contains("hunter2") && !message.contains("t0ps3cret"))
        #expect(!capture.detailed.contains { $0.contains("hunter2") || $0.contains("t0ps3cret") })
    }
}
