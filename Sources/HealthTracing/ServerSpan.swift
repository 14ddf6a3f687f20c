import HealthCore
import Tracing
import W3CTraceContext

/// The server span of a sampled request of the pipeline, as a value: its ids, start and
/// the route's encoded fields. ``end(httpStatusCode:reports:check:catalog:)`` records it
/// and a child span per check report as ``SpanRecord``s in one go (no span object, no
/// lock shared between event loops, no encoding on the request's path).
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
    }

    let exporter: SpanExporter
    let traceID: TraceID
    let spanID: SpanID
    let parentSpanID: SpanID?
    let traceState: String
    let start: UInt64
    let fields: Fields

    /// Ends the span with the response's status code (`http.response.status_code`; a 5xx
    /// is an ERROR status) and records a child span per report: `catalog` holds the
    /// checks' constant fields, `check(i)` is the check of `reports[i]` (asked only for
    /// one the catalog lacks). A run this request
    /// started or joined spans the run's own time; a stored answer (`check.cached`) is an
    /// instant at the end of the request.
    public func end(
        httpStatusCode: Int, reports: [CheckReport] = [], check: (_ index: Int) -> RegisteredCheck? = { _ in nil },
        catalog: CheckSpanCatalog
    ) {
        let end = DefaultTracerClock.now.nanosecondsSinceEpoch
        exporter.record(count: 1 + reports.count) { pending in
            /// A record, or with the caller's tracestate (rare) the span encoded now.
            func add(_ record: SpanRecord) {
                if traceState.isEmpty {
                    pending.records.append(record)
                } else {
                    pending.encoded.record(record, traceState: traceState)
                }
            }
            switch (fields, HTTPStatusCodeAttribute.encoded(httpStatusCode)) {
            case (.encoded(let fields), let code?):
                add(
                    SpanRecord(
                        traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, start: start, end: end, fields: fields,
                        varying: (code, .none, .none), isError: httpStatusCode >= 500))
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
                    let (start, end) =
                        reports[index].isCached
                        ? (end, end) : Self.interval(finishedAt: reports[index].finishedAt, duration: reports[index].duration)
                    let status = reports[index].result.status
                    let varying = (
                        CheckSpanAttributes.cached[reports[index].isCached ? 1 : 0], CheckSpanAttributes.status[status.rawValue],
                        CheckSpanAttributes.timedOut[reports[index].isTimedOut ? 1 : 0]
                    )
                    let childID = random.spanID()
                    if let fields = catalog.fields(of: reports[index].name) {
                        add(
                            SpanRecord(
                                traceID: traceID, spanID: childID, parentSpanID: spanID, start: start, end: end, fields: fields,
                                varying: varying, isError: status == .fail))
                    } else {
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
