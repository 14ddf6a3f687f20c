public import HealthCore
public import HealthOTLP
public import NIOCore
import Tracing
import W3CTraceContext

/// The server span of a sampled request of the pipeline, as a value: its ids, start and
/// the route's encoded fields. ``HostTracer/end(_:endedAt:httpStatusCode:reports:check:catalog:)``
/// records it and a child span per check report as ``SpanRecord``s in one go (no span
/// object, no lock shared between event loops, no encoding on the request's path).
///
/// It holds no reference to the tracer (the caller ends it through the tracer that made
/// it): a span that retained the exporter did so on every request from every event loop,
/// one reference count's cache line bouncing between the cores.
public struct ServerSpan: Sendable {
    /// What names a server span and gives its constant attributes.
    public enum Fields: Sendable {
        /// A route's span for a method it serves, encoded once
        /// (``EncodedSpanFields/init(name:kind:attributes:)``).
        case encoded(EncodedSpanFields)
        /// Any other method (a client's choice, so nothing is kept per method): the span
        /// `METHOD route` with `http.request.method`, `http.route` and `url.path`, encoded
        /// when it ends.
        case method(String, route: String)

        /// The fields encoded already (a method the route serves).
        var encoded: EncodedSpanFields? {
            if case .encoded(let fields) = self { fields } else { nil }
        }
    }

    let traceID: TraceID
    let spanID: SpanID
    let parentSpanID: SpanID?
    let traceState: String
    /// The wall-clock start, in nanoseconds since 1970.
    let start: UInt64
    /// The monotonic clock's reading at the start: the end is the start plus the
    /// monotonic time elapsed, as OpenTelemetry's SDKs do (a wall-clock step during the
    /// request cannot make a span end before it starts), and one clock read fewer.
    let monotonicStart: UInt64
    let fields: Fields

    /// The span's record with the route's encoded `fields` and status `code`, ended at `end`.
    func record(fields: EncodedSpanFields, code: EncodedSpanFields, httpStatusCode: Int, end: UInt64) -> SpanRecord {
        SpanRecord(
            traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, start: start, end: end, fields: fields,
            varying: (code, .none, .none), isError: httpStatusCode >= 500)
    }

    /// The wall-clock end of a span that ended at monotonic `ended`.
    func end(at ended: NIODeadline) -> UInt64 {
        let elapsed = ended.uptimeNanoseconds >= monotonicStart ? ended.uptimeNanoseconds - monotonicStart : 0
        return start &+ elapsed
    }
}

extension HostTracer {
    /// Ends `span` at `ended` (the caller's monotonic reading, which its metrics take
    /// too) with the response's status code (`http.response.status_code`; a 5xx
    /// is an ERROR status) and records a child span per report: `catalog` holds the
    /// checks' constant fields, `check(i)` is the check of `reports[i]` (asked only for
    /// one the catalog lacks). A run this request started or joined spans the run's own
    /// time; a stored answer (`check.cached`) is an instant at the end of the request.
    public func end(
        _ span: ServerSpan, endedAt ended: NIODeadline = .now(), httpStatusCode: Int, reports: [CheckReport] = [],
        check: (_ index: Int) -> RegisteredCheck? = { _ in nil }, catalog: CheckSpanCatalog
    ) {
        let end = span.end(at: ended)
        // A route's span with no checks and no caller's tracestate (a ping, a probe):
        // one record of plain values.
        if reports.isEmpty, span.traceState.isEmpty, case .encoded(let fields) = span.fields,
            let code = HTTPStatusCodeAttribute.encoded(httpStatusCode)
        {
            exporter.record(span.record(fields: fields, code: code, httpStatusCode: httpStatusCode, end: end))
            return
        }
        // The same with checks whose fields the catalog holds (a cached `/health/`): the
        // records made here, on the stack, and copied to the shard in one go (no closure
        // holding the reports, the catalog and the span's fields under its lock).
        if span.traceState.isEmpty, case .encoded(let fields) = span.fields,
            let code = HTTPStatusCodeAttribute.encoded(httpStatusCode),
            span.recordWithCatalog(
                span.record(fields: fields, code: code, httpStatusCode: httpStatusCode, end: end), reports: reports,
                catalog: catalog, into: exporter)
        {
            return
        }
        span.record(endingAt: end, httpStatusCode: httpStatusCode, reports: reports, check: check, catalog: catalog, into: exporter)
    }
}

extension ServerSpan {
    /// Records `server` (this span's record) and a child span per report when `catalog`
    /// holds every report's check; returns `false`, recording nothing, when it lacks one.
    fileprivate func recordWithCatalog(
        _ server: SpanRecord, reports: [CheckReport], catalog: CheckSpanCatalog, into exporter: any SpanExporting
    ) -> Bool {
        let ended = server.end
        return withUnsafeTemporaryAllocation(of: SpanRecord.self, capacity: 1 + reports.count) { records -> Bool in
            // SpanRecord is plain bytes: nothing to deinitialize when this returns early.
            records.initializeElement(at: 0, to: server)
            var random = IDGenerator.Source()
            let complete = reports.withUnsafeBufferPointer { reports -> Bool in
                for index in reports.indices {
                    guard let fields = catalog.fields(of: reports[index].name) else { return false }
                    records.initializeElement(
                        at: 1 + index,
                        to: Self.childRecord(
                            of: reports, at: index, fields: fields, traceID: traceID, spanID: random.spanID(),
                            parent: spanID, requestEnd: ended))
                }
                return true
            }
            guard complete else { return false }
            exporter.record(UnsafeBufferPointer(records))
            return true
        }
    }

    /// The child span of `reports[index]` with the check's encoded `fields`, ending no
    /// later than `requestEnd` (a stored answer is an instant there). Only the fields
    /// needed are read through the buffer: a report copied whole is 192 bytes and a
    /// retain per string in it.
    fileprivate static func childRecord(
        of reports: UnsafeBufferPointer<CheckReport>, at index: Int, fields: EncodedSpanFields, traceID: TraceID,
        spanID childID: SpanID, parent spanID: SpanID, requestEnd: UInt64
    ) -> SpanRecord {
        let (start, end) = times(of: reports, at: index, requestEnd: requestEnd)
        let status = reports[index].result.status
        return SpanRecord(
            traceID: traceID, spanID: childID, parentSpanID: spanID, start: start, end: end, fields: fields,
            varying: Self.varying(cached: reports[index].isCached, status: status, timedOut: reports[index].isTimedOut),
            isError: status == .fail)
    }

    /// When the span of `reports[index]` starts and ends: the run's own time, or for a
    /// stored answer an instant at `requestEnd`.
    fileprivate static func times(of reports: UnsafeBufferPointer<CheckReport>, at index: Int, requestEnd: UInt64)
        -> (start: UInt64, end: UInt64)
    {
        reports[index].isCached
            ? (requestEnd, requestEnd) : interval(finishedAt: reports[index].finishedAt, duration: reports[index].duration)
    }

    /// A check span's pre-encoded `check.cached`, `check.status` and `check.timed_out`.
    fileprivate static func varying(cached: Bool, status: CheckStatus, timedOut: Bool)
        -> (EncodedSpanFields, EncodedSpanFields, EncodedSpanFields)
    {
        (
            CheckSpanAttributes.cached[cached ? 1 : 0], CheckSpanAttributes.status[status.rawValue],
            CheckSpanAttributes.timedOut[timedOut ? 1 : 0]
        )
    }

    /// Records the span, ended at `end`, and a child span per report (the general case of
    /// ``HostTracer/end(_:endedAt:httpStatusCode:reports:check:catalog:)``).
    fileprivate func record(
        endingAt end: UInt64, httpStatusCode: Int, reports: [CheckReport], check: (_ index: Int) -> RegisteredCheck?,
        catalog: CheckSpanCatalog, into exporter: any SpanExporting
    ) {
        // Plain values for the closure (capturing the span copied it, retains and all).
        let (traceID, spanID, parentSpanID, start) = (traceID, spanID, parentSpanID, start)
        let traceState = traceState
        let fields = fields
        let server = fields.encoded.flatMap { fields in
            HTTPStatusCodeAttribute.encoded(httpStatusCode).map {
                record(fields: fields, code: $0, httpStatusCode: httpStatusCode, end: end)
            }
        }
        exporter.record(count: 1 + reports.count) { pending in
            /// A record, or with the caller's tracestate (rare) the span encoded now.
            func add(_ record: SpanRecord) {
                if traceState.isEmpty {
                    pending.records.append(record)
                } else {
                    pending.encoded.record(record, traceState: traceState)
                }
            }
            switch (fields, server) {
            case (_, let server?):
                add(server)
            case (.encoded(let fields), nil):
                pending.encoded.span(
                    traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, traceState: traceState, start: start,
                    end: end, status: httpStatusCode >= 500 ? (true, "") : nil
                ) { span in
                    span.append(encoded: fields.bytes)
                    span.attribute("http.response.status_code", Int64(httpStatusCode))
                }
            case (.method(let method, let route), _):
                pending.encoded.span(
                    traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, traceState: traceState, name: "\(method) \(route)",
                    kind: .server, start: start, end: end, status: httpStatusCode >= 500 ? (true, "") : nil
                ) { attributes in
                    attributes.attribute("http.request.method", method)
                    attributes.attribute("http.route", route)
                    attributes.attribute("url.path", route)
                    attributes.attribute("http.response.status_code", Int64(httpStatusCode))
                }
            }
            guard !reports.isEmpty else { return }
            var random = IDGenerator.Source()
            // Through the buffer, reading only the fields needed: the array's subscript
            // copied each report whole (192 bytes and a retain per string in it).
            reports.withUnsafeBufferPointer { reports in
                for index in reports.indices {
                    let childID = random.spanID()
                    if let fields = catalog.fields(of: reports[index].name) {
                        add(
                            Self.childRecord(
                                of: reports, at: index, fields: fields, traceID: traceID, spanID: childID, parent: spanID,
                                requestEnd: end))
                    } else {
                        let (start, end) = Self.times(of: reports, at: index, requestEnd: end)
                        let status = reports[index].result.status
                        let varying = Self.varying(
                            cached: reports[index].isCached, status: status, timedOut: reports[index].isTimedOut)
                        // A check the catalog was not given: its constant fields encoded here.
                        let name = reports[index].name
                        let check = check(index)
                        pending.encoded.span(
                            traceID: traceID, spanID: childID, parentSpanID: spanID, traceState: traceState,
                            namePrefix: "check ", name: name, kind: .internal, start: start, end: end,
                            status: status == .fail ? (true, "") : nil
                        ) { attributes in
                            CheckSpanCatalog.write(
                                name: name, plugin: check?.pluginName ?? "", source: check?.source ?? "", into: &attributes)
                            attributes.append(encoded: varying.0.bytes)
                            attributes.append(encoded: varying.1.bytes)
                            attributes.append(encoded: varying.2.bytes)
                        }
                    }
                }
            }
        }
    }

    /// A run's own time: `duration` up to `finishedAt`. (A stored answer is an instant at
    /// the end of the request.)
    private static func interval(finishedAt: WallTime, duration: Duration) -> (start: UInt64, end: UInt64) {
        let end = UInt64(max(0, finishedAt.timeIntervalSince1970 * 1e9))
        return (end - min(end, UInt64(max(0, duration.seconds * 1e9))), end)
    }
}
