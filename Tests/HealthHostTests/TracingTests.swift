import Foundation
import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthHostApp
import HealthOTLP
import HealthTracing
import NIOHTTP1
import Testing
import Tracing

/// Traces over OTLP/HTTP to a real receiver that decodes them with opentelemetry-proto:
/// a server span per request continuing the caller's `traceparent`, a child span per
/// check, configured by the standard `OTEL_*` variables, off without them.
@Suite(.timeLimit(.minutes(2)), .serialized) struct TracingTests {
    private let auth = ["Authorization": "Bearer \(DialectFixture.secret)"]
    private let callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    private let callerSpan = "00f067aa0ba902b7"

    private func environment(port: Int, extra: [String: String] = [:]) -> [String: String] {
        [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(port)", "OTEL_BSP_SCHEDULE_DELAY": "50",
            "OTEL_SERVICE_NAME": "orders", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=staging",
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20collector-key",
        ].merging(extra) { _, new in new }
    }

    @Test func aRequestIsAServerSpanOfTheCallersTraceWithASpanPerCheck() async throws {
        let receiver = try await OTLPReceiver()
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: environment(port: receiver.port)) { host throws in
            let traceparent = "00-\(callerTrace)-\(callerSpan)-01"
            let response = try await host.get(
                "/health/?checks=ok,down",
                headers: auth.merging(["traceparent": traceparent, "tracestate": "congo=t61rcWkgMzE"]) { $1 })
            #expect(response.status == 503)
            let spans = try await receiver.waitForSpans(3)
            #expect(spans.count == 3)
            let server = try #require(spans.first { $0["name"] as? String == "GET /health/" })
            #expect(server["kind"] as? Int == 2)  // SERVER
            #expect(server["trace_id"] as? String == callerTrace)
            #expect(server["parent_span_id"] as? String == callerSpan)
            // The caller's tracestate goes on with its trace, in every span.
            #expect(spans.allSatisfy { $0["trace_state"] as? String == "congo=t61rcWkgMzE" })
            let attributes = try #require(server["attributes"] as? [String: Any])
            #expect(attributes["http.response.status_code"] as? Int == 503)
            #expect(attributes["http.request.method"] as? String == "GET")
            #expect(attributes["http.route"] as? String == "/health/")
            #expect(server["status_code"] as? Int == 2)  // ERROR: a 5xx
            #expect(server["scope"] as? String == "healthhost")
            #expect(server["authorization"] as? String == "Bearer collector-key")
            let resource = try #require(server["resource"] as? [String: Any])
            #expect(resource["service.name"] as? String == "orders")
            #expect(resource["deployment.environment"] as? String == "staging")

            for (name, status) in [("ok", "pass"), ("down", "fail")] {
                let check = try #require(spans.first { $0["name"] as? String == "check \(name)" })
                #expect(check["trace_id"] as? String == callerTrace)
                #expect(check["parent_span_id"] as? String == server["span_id"] as? String)
                #expect(check["kind"] as? Int == 1)  // INTERNAL
                let fields = try #require(check["attributes"] as? [String: Any])
                #expect(fields["check.name"] as? String == name)
                #expect(fields["check.plugin"] as? String == "dialectkit")
                #expect(fields["check.status"] as? String == status)
                #expect(fields["check.cached"] as? Bool == false)
                #expect(fields["check.timed_out"] as? Bool == false)
                let start = try #require(check["start"] as? Int)
                #expect(try #require(check["end"] as? Int) >= start)
            }
            #expect(spans.first { $0["name"] as? String == "check down" }?["status_code"] as? Int == 2)
            // No secret in any span.
            #expect(!String(describing: spans).contains(DialectFixture.secret))
        }
    }

    /// A caller's trace without a tracestate, the common case, takes the path that
    /// records a request's spans in one go from the span catalog: the same spans, and a
    /// request's three never split across two exports (200 is not a multiple of 3).
    @Test func checkSpansWithoutATracestateAreRecordedWholeAndNeverSplit() async throws {
        let receiver = try await OTLPReceiver(keepAlive: true)
        let env = environment(port: receiver.port, extra: ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "200"])
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: env) { host throws in
            let headers = auth.merging(["traceparent": "00-\(callerTrace)-\(callerSpan)-01"]) { $1 }
            for _ in 0..<100 { #expect(try await host.get("/health/?checks=ok,down", headers: headers).status == 503) }
            let spans = try await receiver.waitForSpans(300)
            #expect(spans.count == 300)
            #expect(spans.allSatisfy { $0["trace_id"] as? String == callerTrace && $0["trace_state"] as? String == "" })
            #expect(Set(spans.compactMap { $0["span_id"] as? String }).count == 300)
            let servers = spans.filter { $0["name"] as? String == "GET /health/" }
            #expect(servers.count == 100)
            #expect(servers.allSatisfy { $0["parent_span_id"] as? String == callerSpan && $0["status_code"] as? Int == 2 })
            let serverIDs = Set(servers.compactMap { $0["span_id"] as? String })
            for (name, status) in [("ok", "pass"), ("down", "fail")] {
                let checks = spans.filter { $0["name"] as? String == "check \(name)" }
                #expect(checks.count == 100)
                #expect(Set(checks.compactMap { $0["parent_span_id"] as? String }) == serverIDs)
                for check in checks {
                    let fields = try #require(check["attributes"] as? [String: Any])
                    #expect(fields["check.name"] as? String == name)
                    #expect(fields["check.plugin"] as? String == "dialectkit")
                    #expect(fields["check.status"] as? String == status)
                    #expect(fields["check.cached"] as? Bool == false)
                    #expect(check["status_code"] as? Int == (status == "fail" ? 2 : 0))
                }
            }
            #expect(spans.compactMap { $0["export_spans"] as? Int }.allSatisfy { $0 <= 200 })
            // A request's spans (the server span and its two checks) in one export.
            let exportOf = Dictionary(grouping: spans) { span in
                span["name"] as? String == "GET /health/" ? span["span_id"] as? String ?? "" : span["parent_span_id"] as? String ?? ""
            }
            #expect(exportOf.count == 100)
            #expect(exportOf.values.allSatisfy { $0.count == 3 && Set($0.map { $0["export"] as? Int ?? -1 }).count == 1 })
        }
    }

    /// A tracestate near the W3C limit (512 characters) goes on whole in every span (their
    /// lengths then take two-byte varints).
    @Test func aLongTracestateGoesOnWholeInEverySpan() async throws {
        let receiver = try await OTLPReceiver()
        let state = (0..<28).map { "vendor\($0)=\(String(repeating: "x", count: 8))" }.joined(separator: ",")
        #expect(state.count > 480 && state.count <= 512)
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: environment(port: receiver.port)) { host throws in
            let traceparent = "00-\(callerTrace)-\(callerSpan)-01"
            let response = try await host.get(
                "/health/?checks=ok,down", headers: auth.merging(["traceparent": traceparent, "tracestate": state]) { $1 })
            #expect(response.status == 503)
            let spans = try await receiver.waitForSpans(3)
            #expect(Set(spans.compactMap { $0["name"] as? String }) == ["GET /health/", "check ok", "check down"])
            // (As swift-w3c-trace-context writes it: members joined by ", ".)
            #expect(spans.allSatisfy { ($0["trace_state"] as? String)?.replacingOccurrences(of: ", ", with: ",") == state })
            #expect(spans.allSatisfy { $0["trace_id"] as? String == callerTrace })
            let check = try #require(spans.first { $0["name"] as? String == "check down" })
            #expect((check["attributes"] as? [String: Any])?["check.status"] as? String == "fail")
            #expect(check["status_code"] as? Int == 2)
        }
    }

    /// A check whose span fields were not encoded up front (the pipeline was not given it)
    /// still gets its full span, encoded when the request ends.
    @Test func aCheckOutsideTheSpanCatalogGetsTheSameSpan() async throws {
        let receiver = try await OTLPReceiver()
        let settings = try #require(try TracingSettings.from(environment: environment(port: receiver.port)))
        let tracer = HostTracer(settings: settings, resource: [:], version: "test", logger: TestHost.logger)
        defer { tracer.stop() }
        let fakes = RouterHarness.FakeChecks()
        fakes.set("cache", .fail("evicted"))
        let (db, cache) = (fakes.check("db"), fakes.check("cache"))
        let harness = try RouterHarness(checks: [db, cache], tracer: tracer, tracedChecks: [db]) { context in
            NativeDialect.routes(NativeDialectConfiguration(), context: context)
        }
        #expect(try await harness.get("/health/?checks=db,cache", headers: [("Authorization", "Bearer s3cret")]).status.code == 503)
        let spans = try await receiver.waitForSpans(3)
        let server = try #require(spans.first { $0["name"] as? String == "GET /health/" })
        for (name, status) in [("db", "pass"), ("cache", "fail")] {
            let span = try #require(spans.first { $0["name"] as? String == "check \(name)" }, "\(spans)")
            #expect(span["parent_span_id"] as? String == server["span_id"] as? String)
            #expect(span["kind"] as? Int == 1)  // INTERNAL
            let attributes = try #require(span["attributes"] as? [String: Any])
            #expect(attributes["check.name"] as? String == name)
            #expect(attributes["check.source"] as? String == "fake.\(name)")
            #expect(attributes["check.plugin"] as? String == "fake")
            #expect(attributes["check.status"] as? String == status)
            #expect(attributes["check.cached"] as? Bool == false)
            #expect(attributes["check.timed_out"] as? Bool == false)
            #expect(span["status_code"] as? Int == (status == "fail" ? 2 : 0))  // ERROR, or UNSET
        }
    }

    @Test func withoutATraceparentARequestStartsATraceAndAnUnmatchedPathIsNotASpanName() async throws {
        let receiver = try await OTLPReceiver()
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: environment(port: receiver.port)) { host throws in
            #expect(try await host.get("/livez", headers: ["traceparent": "garbage"]).status == 200)
            #expect(try await host.get("/wp-login.php").status == 404)
            // A method no route serves is a span too, named by it (and nothing kept per method).
            #expect(try await RawHTTPClient.request(port: host.port, "DELETE", "/livez").status == 405)
            let spans = try await receiver.waitForSpans(4)
            let delete = try #require(spans.first { $0["name"] as? String == "DELETE /livez" }, "\(spans)")
            #expect((delete["attributes"] as? [String: Any])?["http.request.method"] as? String == "DELETE")
            #expect((delete["attributes"] as? [String: Any])?["http.response.status_code"] as? Int == 405)
            let live = try #require(spans.first { $0["name"] as? String == "GET /livez" })
            #expect(live["parent_span_id"] as? String == "")
            #expect((live["trace_id"] as? String)?.count == 32)
            #expect(spans.contains { $0["name"] as? String == "GET unmatched" })
            #expect(!spans.contains { ($0["name"] as? String)?.contains("wp-login") == true })
        }
    }

    @Test func anUnsampledCallerIsNotRecorded() async throws {
        let receiver = try await OTLPReceiver()
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: environment(port: receiver.port)) { host throws in
            #expect(try await host.get("/livez", headers: ["traceparent": "00-\(callerTrace)-\(callerSpan)-00"]).status == 200)
            #expect(try await host.get("/readyz").status == 200)
            let spans = try await receiver.waitForSpans(3)
            #expect(!spans.contains { $0["trace_id"] as? String == callerTrace })
            #expect(spans.contains { $0["name"] as? String == "GET /readyz" })
        }
    }

    /// The tracer is swift-distributed-tracing's `Tracer` for any code in the host: a span
    /// made through that API, with attributes set one by one and an error recorded, is
    /// exported like the pipeline's, in the caller's trace when given its context.
    @Test func aSpanMadeThroughTheTracingAPIIsExportedWithItsAttributes() async throws {
        let receiver = try await OTLPReceiver()
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: environment(port: receiver.port)) { host throws in
            let tracer = try #require(host.app.tracer)
            var context = InstrumentationContext.topLevel
            tracer.extract(["traceparent": "00-\(callerTrace)-\(callerSpan)-01"], into: &context, using: DictionaryExtractor())
            let span = tracer.startSpan("reload secrets", context: context, ofKind: .internal)
            span.setAttribute("secrets.files", 2)
            span.setAttribute("secrets.source", "vault")
            span.recordError(ReloadFailure())
            span.end()
            let spans = try await receiver.waitForSpans(1)
            let exported = try #require(spans.first { $0["name"] as? String == "reload secrets" }, "\(spans)")
            #expect(exported["trace_id"] as? String == callerTrace)
            #expect(exported["parent_span_id"] as? String == callerSpan)
            #expect(exported["kind"] as? Int == 1)  // INTERNAL
            #expect(exported["status_code"] as? Int == 2)  // ERROR
            let attributes = try #require(exported["attributes"] as? [String: Any])
            #expect(attributes["secrets.files"] as? Int == 2)
            #expect(attributes["secrets.source"] as? String == "vault")
        }
    }

    /// `traceidratio` decides by the trace id's lower 8 bytes as a fraction, whatever the
    /// caller's sampled flag says, so every host of a trace agrees.
    @Test func aRatioSamplerDecidesByTheTraceID() async throws {
        let receiver = try await OTLPReceiver()
        let env = environment(
            port: receiver.port, extra: ["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"])
        let low = "4bf92f3577b34da60000000000000001"  // fraction ~0: sampled
        let high = "4bf92f3577b34da6ffffffffffffff00"  // fraction ~1: not
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: env) { host throws in
            #expect(try await host.get("/livez", headers: ["traceparent": "00-\(high)-\(callerSpan)-01"]).status == 200)
            #expect(try await host.get("/livez", headers: ["traceparent": "00-\(low)-\(callerSpan)-00"]).status == 200)
            #expect(try await host.get("/readyz", headers: ["traceparent": "00-\(high)-\(callerSpan)-01"]).status == 200)
            #expect(try await host.get("/readyz", headers: ["traceparent": "00-\(low)-\(callerSpan)-00"]).status == 200)
            // Spans go out about in the order they end (a schedule takes every thread's spans
            // within microseconds, the requests are milliseconds apart, and exports leave one
            // after another): a wrongly sampled span would come with or before the last ones.
            let spans = try await receiver.waitForSpans(2)
            #expect(Set(spans.compactMap { $0["trace_id"] as? String }) == [low], "\(spans)")
        }
    }

    /// Batches are what `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` allows, a request's check spans
    /// are never split across two, and an export far past 16 KiB (three-byte protobuf
    /// lengths around the spans) decodes with the reference classes.
    @Test func manySpansGoOutInBoundedBatchesThatDecode() async throws {
        let receiver = try await OTLPReceiver(keepAlive: true)
        let env = environment(port: receiver.port, extra: ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "200", "OTEL_BSP_SCHEDULE_DELAY": "300"])
        // Each request's connection lands on either event loop's shard, and the 300 ms
        // schedule sends what a shard holds, so how many spans an export gets depends on
        // how fast the requests come (on a fresh CI machine the largest held ~150 spans,
        // 14 KB). A ~500-byte tracestate on every span puts any export of 33 or more spans
        // past 16 KiB however the requests are spread.
        let state = (0..<28).map { "vendor\($0)=\(String(repeating: "x", count: 8))" }.joined(separator: ",")
        let headers = auth.merging(["traceparent": "00-\(callerTrace)-\(callerSpan)-01", "tracestate": state]) { $1 }
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: env) { host throws in
            for _ in 0..<100 { #expect(try await host.get("/health/?checks=ok,down", headers: headers).status == 503) }
            let spans = try await receiver.waitForSpans(300)
            #expect(spans.count == 300)
            #expect(spans.filter { $0["name"] as? String == "GET /health/" }.count == 100)
            #expect(spans.filter { $0["name"] as? String == "check ok" }.count == 100)
            #expect(spans.filter { $0["name"] as? String == "check down" }.count == 100)
            let sizes = spans.compactMap { $0["export_spans"] as? Int }
            #expect(sizes.count == 300 && sizes.allSatisfy { $0 <= 200 }, "\(Set(sizes))")
            #expect((spans.compactMap { $0["export_bytes"] as? Int }.max() ?? 0) > 16384)
            // Both check spans of a request are in the same export.
            let exportOf = Dictionary(grouping: spans.filter { ($0["name"] as? String)?.hasPrefix("check ") == true }) {
                $0["parent_span_id"] as? String ?? ""
            }
            #expect(exportOf.count == 100)
            #expect(exportOf.values.allSatisfy { Set($0.map { $0["export"] as? Int ?? -1 }).count == 1 })
            // Every export over the one connection the collector keeps open.
            #expect(Set(spans.compactMap { $0["export"] as? Int }).count >= 2)
            #expect(Set(spans.compactMap { $0["client_port"] as? Int }).count == 1)
        }
    }

    /// With `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=gzip` (any case) every export is one
    /// gzip body sent with `Content-Encoding: gzip`, which Python's gzip and the reference
    /// classes decode whole, one export after another over one connection (the zlib
    /// stream reset between bodies), and far smaller than the protobuf it carries.
    @Test func gzipExportsDecodeWholeAndAreSmallerThanTheirSpans() async throws {
        let receiver = try await OTLPReceiver(keepAlive: true)
        let env = environment(
            port: receiver.port,
            extra: [
                "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "GZIP", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "60",
                "OTEL_BSP_SCHEDULE_DELAY": "1000",
            ])
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: env) { host throws in
            for _ in 0..<40 { #expect(try await host.get("/health/?checks=ok,down", headers: auth).status == 503) }
            let spans = try await receiver.waitForSpans(120)
            #expect(spans.count == 120)
            #expect(spans.allSatisfy { $0["content_encoding"] as? String == "gzip" })
            #expect(spans.filter { $0["name"] as? String == "GET /health/" }.count == 40)
            let down = spans.filter { $0["name"] as? String == "check down" }
            #expect(down.count == 40)
            #expect(down.allSatisfy { ($0["attributes"] as? [String: Any])?["check.status"] as? String == "fail" })
            #expect(spans.allSatisfy { $0["authorization"] as? String == "Bearer collector-key" })
            let exports = Dictionary(grouping: spans) { $0["export"] as? Int ?? 0 }
            #expect(exports.count >= 2)
            #expect(Set(spans.compactMap { $0["client_port"] as? Int }).count == 1)
            // The fullest export: its protobuf against what crossed the wire.
            let fullest = try #require(spans.max { ($0["export_spans"] as? Int ?? 0) < ($1["export_spans"] as? Int ?? 0) })
            let (spanCount, decoded, wire) = (
                fullest["export_spans"] as? Int ?? 0, fullest["export_bytes"] as? Int ?? 0, fullest["wire_bytes"] as? Int ?? 0
            )
            #expect(spanCount >= 30)
            #expect(wire > 0 && wire * 3 < decoded, "\(spanCount) spans: \(decoded) bytes of protobuf, \(wire) on the wire")
            let tracer = try #require(host.app.tracer)
            #expect(await eventually { tracer.counts.exported >= 120 && tracer.counts.failedExports == 0 })
        }
    }

    /// A collector that is unavailable for a moment (503 with `Retry-After: 1`, then 429)
    /// gets the same export again, after the wait it asked for and then after a back-off,
    /// and takes it at the third attempt: every span once, no failed export, two retries
    /// on `/metrics`. An answer that is not transient (400) is not tried again.
    @Test func anExportIsTriedAgainAfterATransientFailureAndNotAfterAnyOther() async throws {
        let receiver = try await OTLPReceiver(answers: ["503:1", "429", "200"], keepAlive: true)
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: environment(port: receiver.port)) { host throws in
            #expect(try await host.get("/health/?checks=ok,down", headers: auth).status == 503)
            let spans = try await receiver.waitForSpans(3)
            #expect(spans.count == 3)
            #expect(Set(spans.compactMap { $0["span_id"] as? String }).count == 3)
            let tracer = try #require(host.app.tracer)
            #expect(await eventually { tracer.counts.exported == 3 })
            #expect(tracer.counts.retries == 2)
            #expect(tracer.counts.failedExports == 0 && tracer.counts.dropped == 0)
            let attempts = receiver.attempts
            #expect(attempts.compactMap { $0["status"] as? Int } == [503, 429, 200])
            let times = attempts.compactMap { $0["time"] as? Double }
            try #require(times.count == 3)
            #expect(times[1] - times[0] >= 0.95, "Retry-After: 1 was not waited for")
            #expect(times[2] - times[1] >= 0.2, "no back-off after the 429 (at least 250 ms)")
            let exposition = try await host.get("/metrics", headers: auth).body
            #expect(sample("healthhost_trace_export_retries_total", in: exposition) == 2)
        }
        let refusing = try await OTLPReceiver(answers: ["400"])
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: environment(port: refusing.port)) { host throws in
            #expect(try await host.get("/livez").status == 200)
            let tracer = try #require(host.app.tracer)
            // Each export went once (the host's own start-up probe may have made one too).
            #expect(await eventually { tracer.counts.failedExports >= 1 && refusing.attempts.count == tracer.counts.failedExports })
            #expect(tracer.counts.retries == 0 && tracer.counts.droppedExportFailed >= 1)
            #expect(refusing.attempts.allSatisfy { $0["status"] as? Int == 400 })
        }
    }

    /// A collector that closes the connection after an answer gets the next export over a
    /// new one.
    @Test func anExportAfterTheCollectorClosedTheConnectionOpensANewOne() async throws {
        let receiver = try await OTLPReceiver(keepAlive: false)
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: environment(port: receiver.port)) { host throws in
            #expect(try await host.get("/livez").status == 200)
            let first = try await receiver.waitForSpans(1).count  // a request's spans go out together
            #expect(try await host.get("/livez").status == 200)
            let spans = try await receiver.waitForSpans(first + 1)
            #expect(Set(spans.compactMap { $0["export"] as? Int }) == [1, 2])
            #expect(Set(spans.compactMap { $0["client_port"] as? Int }).count == 2)
        }
    }

    /// `/metrics` says what the exporter did: spans accepted, dropped (by reason), failed
    /// exports and the queue, only while tracing is on.
    @Test func theExportersCountsAreMetrics() async throws {
        let receiver = try await OTLPReceiver()
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: environment(port: receiver.port)) { host throws in
            for _ in 0..<3 { #expect(try await host.get("/health/?checks=ok,down", headers: auth).status == 503) }
            #expect(try await receiver.waitForSpans(9).count >= 9)
            // The scrapes are traced requests too: the count only grows.
            var exposition = ""
            #expect(
                try await eventually {
                    exposition = try await host.get("/metrics", headers: auth).body
                    return (sample("healthhost_trace_spans_exported_total", in: exposition) ?? 0) >= 9
                })
            #expect(try promtool(exposition) == "")
            #expect(sample(#"healthhost_trace_spans_dropped_total{reason="queue_full"}"#, in: exposition) == 0)
            #expect(sample(#"healthhost_trace_spans_dropped_total{reason="export_failed"}"#, in: exposition) == 0)
            #expect(sample("healthhost_trace_exports_failed_total", in: exposition) == 0)
            #expect(sample("healthhost_trace_spans_queued", in: exposition) != nil)
        }
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            #expect(!(try await host.get("/metrics", headers: auth).body.contains("healthhost_trace_")))
        }
    }

    @Test func aDeadCollectorCostsOnlyDroppedSpans() async throws {
        let silent = try SilentListener()
        let refusing = try await OTLPReceiver(status: 503)
        for port in [silent.port, refusing.port] {
            let env = environment(
                port: port, extra: ["OTEL_EXPORTER_OTLP_TIMEOUT": "200", "OTEL_BSP_MAX_QUEUE_SIZE": "8"])
            try await TestHost.with(yaml: try DialectFixture.yaml(), environment: env) { host throws in
                let started = ContinuousClock.now
                for _ in 0..<50 { #expect(try await host.get("/livez").status == 200) }
                // Probes never wait for the collector (a generous bound: 50 requests).
                #expect(ContinuousClock.now - started < .seconds(5))
                let tracer = try #require(host.app.tracer)
                #expect(await eventually { tracer.counts.failedExports >= 1 && tracer.counts.dropped > 0 })
                #expect(tracer.counts.exported == 0)
                // What the on-call engineer sees of it.
                let exposition = try await host.get("/metrics", headers: auth).body
                #expect((sample("healthhost_trace_exports_failed_total", in: exposition) ?? 0) >= 1)
                #expect((sample(#"healthhost_trace_spans_dropped_total{reason="export_failed"}"#, in: exposition) ?? 0) > 0)
                #expect(sample("healthhost_trace_spans_exported_total", in: exposition) == 0)
            }
        }
    }

    @Test func tracingIsOffWithoutOTELVariablesAndBadOnesAreStartupErrors() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml()) { host throws in
            #expect(host.app.tracer == nil)
        }
        let disabled = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"]
        try await TestHost.with(yaml: try DialectFixture.yaml(), environment: disabled) { host throws in
            #expect(host.app.tracer == nil)
        }
        let cases: [([String: String], String)] = [
            (
                ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"],
                "tracing error: OTEL_EXPORTER_OTLP_PROTOCOL: healthhost exports OTLP over HTTP with protobuf; expected 'http/protobuf', found 'grpc'"
            ),
            (
                ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"],
                "tracing error: OTEL_EXPORTER_OTLP_COMPRESSION: expected 'gzip' or 'none', found 'zstd'"
            ),
            (
                ["OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "sometimes"],
                "tracing error: OTEL_TRACES_SAMPLER: expected always_on, always_off, traceidratio"
            ),
            (
                ["OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_HEADERS": "api-key"],
                "tracing error: OTEL_EXPORTER_OTLP_HEADERS: expected key=value pairs separated by commas"
            ),
        ]
        for (environment, expected) in cases {
            let yaml = try await DialectFixture.yaml()
            let error = #expect(throws: StartupError.self) { try TestHost.build(yaml: yaml, environment: environment) }
            #expect(error.map { "\($0)".hasPrefix(expected) } == true, "\(String(describing: error))")
        }
    }
}

private struct ReloadFailure: Error {}

/// Reads trace headers from a dictionary (the tracer's extraction, outside HTTP).
private struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
