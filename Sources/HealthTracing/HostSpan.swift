import HealthOTLP
import Synchronization
public import Tracing
import W3CTraceContext

/// A span made through swift-distributed-tracing's `Tracer` API (``HostTracer/startSpan(_:context:ofKind:at:function:file:line:)``):
/// recorded when sampled, encoded and queued when it ends. The request pipeline's own
/// spans are ``ServerSpan``s, lighter.
public final class HostSpan: Tracing.Span, Sendable {
    private struct State {
        var name: String
        /// In the order set; a handful per span, so a list beats `SpanAttributes`' dictionary
        /// (hashing every key cost more than the rest of setting it).
        var attributes: [(key: String, value: SpanAttribute)]
        var status: SpanStatus?
        /// `http.response.status_code`, set by ``end(httpStatusCode:)``.
        var httpStatusCode: Int64?
        var isEnded = false
    }

    /// The context the span was started in (its baggage); ``context`` adds the span's own.
    private let parentContext: InstrumentationContext
    private let kind: SpanKind
    private let own: TraceContext
    private let parentSpanID: SpanID?
    private let start: UInt64
    private let exporter: (any SpanExporting)?
    private let state: Mutex<State>

    init(
        name: String, kind: SpanKind, parentContext: InstrumentationContext, own: TraceContext, parentSpanID: SpanID?,
        start: UInt64, exporter: (any SpanExporting)?
    ) {
        self.parentContext = parentContext
        self.kind = kind
        self.own = own
        self.parentSpanID = parentSpanID
        self.start = start
        self.exporter = exporter
        self.state = Mutex(State(name: name, attributes: []))
    }

    /// The span's context: the one it started in with the span's own trace context.
    /// Built when asked for (the host's own spans never ask: a context per span was
    /// an allocation per request).
    public var context: InstrumentationContext {
        var context = parentContext
        context.traceContext = own
        return context
    }

    /// The span's own W3C trace context.
    var ownContext: TraceContext { own }

    public var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }

    public var attributes: SpanAttributes {
        get {
            var attributes = SpanAttributes()
            for (key, value) in state.withLock({ $0.attributes }) { attributes[key] = value }
            return attributes
        }
        set {
            var list: [(key: String, value: SpanAttribute)] = []
            // SpanAttributes is not a Sequence: its own forEach is the only way through it.
            // swift-format-ignore: ReplaceForEachWithForLoop
            newValue.forEach { key, value in list.append((key, value)) }
            state.withLock { $0.attributes = list }
        }
    }

    public var isRecording: Bool { exporter != nil }

    /// Sets one attribute in place (the `attributes` property copies them all per set).
    public func setAttribute(_ key: String, _ value: some SpanAttributeConvertible) {
        guard exporter != nil else { return }
        let attribute = value.toSpanAttribute()
        state.withLock { state in
            if let index = state.attributes.firstIndex(where: { $0.key == key }) {
                state.attributes[index].value = attribute
            } else {
                state.attributes.append((key, attribute))
            }
        }
    }

    public func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }

    public func addEvent(_ event: SpanEvent) {}

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        setStatus(SpanStatus(code: .error, message: "\(error)"))
    }

    public func addLink(_ link: SpanLink) {}

    /// Ends a server span with the response's status code (`http.response.status_code`;
    /// a 5xx sets the error status): what `setAttribute`, `setStatus` and `end` do, without
    /// building an attribute value.
    public func end(httpStatusCode: Int) {
        guard exporter != nil else { return }
        state.withLock { state in
            state.httpStatusCode = Int64(httpStatusCode)
            if httpStatusCode >= 500 { state.status = SpanStatus(code: .error) }
        }
        end()
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard let exporter else { return }
        let end = instant().nanosecondsSinceEpoch
        guard
            let finished = state.withLock({ state -> State? in
                guard !state.isEnded else { return nil }
                state.isEnded = true
                return state
            })
        else { return }
        var spans = SpanWriter()
        spans.span(
            traceID: own.traceID, spanID: own.spanID, parentSpanID: parentSpanID, traceState: own.traceStateHeaderValue,
            name: finished.name, kind: OTLPTraceEncoding.Kind(kind), start: start, end: end,
            status: finished.status.map { (isError: $0.code == .error, message: $0.message ?? "") }
        ) { writer in
            if let code = finished.httpStatusCode { writer.attribute("http.response.status_code", code) }
            for (key, attribute) in finished.attributes { writer.attribute(key, value: OTLPTraceEncoding.Value(attribute)) }
        }
        exporter.enqueue(spans)
    }

    /// The span's trace and span ids, as hex (for logs and tests).
    public var traceIDHex: String { own.traceID.description }
}
