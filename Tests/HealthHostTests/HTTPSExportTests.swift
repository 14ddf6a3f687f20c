import Foundation
import HealthHostApp
import HealthOTLP
import HealthTracing
import Testing

/// Spans to an `https://` collector, a real TLS server (Python's ssl with certificates the
/// `openssl` command made), sent through libcurl: verified against
/// `OTEL_EXPORTER_OTLP_CERTIFICATE`, with the host's client certificate where the
/// collector asks for one, and refused, not retried, when the collector's certificate is
/// not one the host trusts.
@Suite(.timeLimit(.minutes(2)), .serialized) struct HTTPSExportTests {
    private let auth = ["Authorization": "Bearer \(DialectFixture.secret)"]

    /// The test CA and its certificates, made once for the suite.
    private static let certificates = Task<String, any Error> {
        let folder = TestPaths.temporaryDirectory("otlp-tls")
        try await TestCertificates.make(in: folder)
        return folder
    }

    private func environment(port: Int, extra: [String: String]) -> [String: String] {
        [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://127.0.0.1:\(port)", "OTEL_BSP_SCHEDULE_DELAY": "50",
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20collector-key",
        ].merging(extra) { _, new in new }
    }

    @Test func spansReachAnHTTPSCollectorThatChecksTheHostsClientCertificate() async throws {
        let folder = try await Self.certificates.value
        let receiver = try await OTLPReceiver(
            answers: ["200"], keepAlive: true,
            tls: (certificate: folder + "/valid.crt", key: folder + "/valid.key", clientCA: folder + "/ca.crt"))
        let env = environment(
            port: receiver.port,
            extra: [
                "OTEL_EXPORTER_OTLP_CERTIFICATE": folder + "/ca.crt",
                "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": folder + "/client.crt",
                "OTEL_EXPORTER_OTLP_CLIENT_KEY": folder + "/client.key", "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
            ])
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: env) { host throws in
            for _ in 0..<3 {
                #expect(try await host.get("/health/?checks=ok,down", headers: auth).status == 503)
                try await Task.sleep(for: .milliseconds(120))  // a few exports, not one
            }
            let spans = try await receiver.waitForSpans(9)
            let requestSpans = spans.filter { ($0["name"] as? String).map { $0 == "GET /health/" || $0.hasPrefix("check ") } == true }
            #expect(requestSpans.count == 9)
            #expect(requestSpans.filter { $0["name"] as? String == "check down" }.count == 3)
            #expect(spans.allSatisfy { $0["tls_client"] as? String == "healthhost-client" })
            #expect(spans.allSatisfy { $0["authorization"] as? String == "Bearer collector-key" })
            #expect(spans.allSatisfy { $0["content_encoding"] as? String == "gzip" })
            // libcurl keeps its connection: every export over one.
            #expect(Set(spans.compactMap { $0["export"] as? Int }).count >= 2)
            #expect(Set(spans.compactMap { $0["client_port"] as? Int }).count == 1)
            let tracer = try #require(host.app.tracer)
            #expect(await eventually { tracer.counts.exported >= 9 })
            #expect(tracer.counts.failedExports == 0 && tracer.counts.retries == 0)
        }
    }

    @Test func aCollectorCertificateTheHostDoesNotTrustFailsTheExportAtOnce() async throws {
        let folder = try await Self.certificates.value
        let receiver = try await OTLPReceiver(
            answers: ["200"], tls: (certificate: folder + "/selfsigned.crt", key: folder + "/selfsigned.key", clientCA: nil))
        let env = environment(port: receiver.port, extra: ["OTEL_EXPORTER_OTLP_CERTIFICATE": folder + "/ca.crt"])
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: env) { host throws in
            #expect(try await host.get("/livez").status == 200)
            let tracer = try #require(host.app.tracer)
            #expect(await eventually { tracer.counts.failedExports >= 1 })
            // Not transient: a certificate refused is not tried again.
            #expect(tracer.counts.retries == 0)
            #expect(tracer.counts.exported == 0)
            #expect(receiver.attempts.isEmpty)
        }
    }

    @Test func httpsSettingsThatCannotWorkAreStartupErrorsNamingTheVariable() async throws {
        let folder = try await Self.certificates.value
        let base = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector.example/v1/traces"]
        let cases: [([String: String], String)] = [
            (
                ["OTEL_EXPORTER_OTLP_CERTIFICATE": folder + "/missing.crt"],
                "tracing error: OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read '\(folder)/missing.crt': No such file or directory"
            ),
            (
                ["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": folder + "/client.crt"],
                "tracing error: OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set but OTEL_EXPORTER_OTLP_CLIENT_KEY is not"
            ),
            (
                ["OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": folder + "/client.key"],
                "tracing error: OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY is set but OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is not"
            ),
            (
                ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://collector.example/v1/traces"],
                "tracing error: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://collector.example/v1/traces': expected http:// or https://, found ftp://"
            ),
        ]
        for (extra, expected) in cases {
            let yaml = try await DialectFixture.yaml()
            let environment = base.merging(extra) { _, new in new }
            let error = #expect(throws: StartupError.self) { try TestHost.build(yaml: yaml, environment: environment) }
            #expect(error.map { "\($0)".hasPrefix(expected) } == true, "\(String(describing: error))")
        }
        // The same files with an http:// collector are not used, and not an error.
        let plain = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_CERTIFICATE": folder + "/missing.crt"]
        let yaml = try await DialectFixture.yaml()
        #expect(throws: Never.self) { try TestHost.build(yaml: yaml, environment: plain).shutdown() }
    }
}
