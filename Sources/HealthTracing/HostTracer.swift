import HealthCore
import Logging
import Synchronization
import Tracing
import W3CTraceContext

/// The host's tracer (swift-distributed-tracing's `Tracer`): W3C `traceparent` in and
/// out, sampling as `OTEL_TRACES_SAMPLER` says, finished spans batched to an OTLP/HTTP
/// collector by the ``SpanExporter``.
///
/// ```swift
/// var context = InstrumentationContext.topLevel
/// tracer.extract(request.headers, into: &context, using: HTTPHeadersExtractor())
/// let span = tracer.startSpan("GET /readyz", context: context, ofKind: .server)
/// defer { span.end() }
/// ```
public final class HostTracer: Tracer, Sendable {
    public typealias Span = HostSpan

    private let settings: TracingSettings
    let exporter: SpanExporter
    private let ids = IDGenerator()

    /// A tracer exporting with `settings`, the spans' resource being `resource`.
    public init(settings: TracingSettings, resource: [String: ResourceValue], version: String, logger: Logger) {
        self.settings = settings
        let attributes = resource.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value.spanValue) }
        exporter = SpanExporter(settings: settings, resource: attributes, version: version, logger: logger)
    }

    /// A resource attribute's value.
    public enum ResourceValue: Sendable {
        case string(String)
        case int(Int)
        case strings([String])

        var spanValue: OTLPTraceEncoding.Value {
            switch self {
            case .string(let text): .string(text)
            case .int(let number): .int(Int64(number))
            case .strings(let texts): .strings(texts)
            }
        }
    }

    /// Spans exported, dropped and failed exports so far.
    public var counts: (exported: Int, dropped: Int, failedExports: Int) { exporter.counts }

    /// Stops exporting at once, dropping what is queued (``shutdown(timeout:)`` flushes first).
    public func stop() { exporter.stop() }

    /// Exports what is queued, waiting at most `timeout`.
    public func shutdown(timeout: Duration = .seconds(2)) async {
        await exporter.shutdown(timeout: timeout)
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> HostSpan {
        let parentContext = context()
        let parent = parentContext.traceContext
        var random = IDGenerator.Source(generator: ids)
        let traceID = parent?.traceID ?? TraceID.random(using: &random)
        let sampled = Self.isSampled(traceID: traceID, parent: parent, sampler: settings.sampler)
        return makeSpan(
            operationName, kind: kind, parentContext: parentContext, parent: parent, traceID: traceID, sampled: sampled,
            start: instant().nanosecondsSinceEpoch)
    }

    private func makeSpan(
        _ name: String, kind: SpanKind, parentContext: InstrumentationContext, parent: TraceContext?, traceID: TraceID,
        sampled: Bool, start: UInt64, attributes: [(key: String, value: SpanAttribute)] = []
    ) -> HostSpan {
        var random = IDGenerator.Source(generator: ids)
        let own = TraceContext(
            traceID: traceID, spanID: SpanID.random(using: &random), flags: sampled ? .sampled : [],
            state: parent?.state ?? Self.emptyTraceState)
        return HostSpan(
            name: name, kind: kind, parentContext: parentContext, own: own, parentSpanID: parent?.spanID,
            start: start, exporter: sampled ? exporter : nil, attributes: attributes)
    }

    /// Built once: `TraceState([])` cost 4 % of a fully traced host's CPU when made per span.
    private static let emptyTraceState = TraceState([])

    public func forceFlush() {}

    /// The server span of a request whose headers `extract` reads, with `attributes`, or
    /// `nil` when the trace is not sampled: an unsampled request then costs the header
    /// lookup and the sampler, no span (the host makes no calls a context would have to
    /// travel on). The span's ``HostSpan/context`` is built only if someone asks for it.
    public func startSampledSpan<Carrier, Extract: Extractor>(
        _ operationName: String, kind: SpanKind, carrier: Carrier, using extractor: Extract,
        attributes: [(key: String, value: SpanAttribute)] = []
    ) -> HostSpan? where Extract.Carrier == Carrier {
        let parent = Self.traceContext(in: carrier, using: extractor)
        if parent == nil, case .alwaysOff = settings.sampler.root { return nil }
        var random = IDGenerator.Source(generator: ids)
        let traceID = parent?.traceID ?? TraceID.random(using: &random)
        guard Self.isSampled(traceID: traceID, parent: parent, sampler: settings.sampler) else { return nil }
        return makeSpan(
            operationName, kind: kind, parentContext: .topLevel, parent: parent, traceID: traceID, sampled: true,
            start: DefaultTracerClock.now.nanosecondsSinceEpoch, attributes: attributes)
    }

    /// A span per check report, children of `parent`, encoded and queued at once. A run
    /// this request started or joined spans the run's own time; a stored answer is an
    /// instant at `now` (`check.cached`). `checks[i]` is the check of `reports[i]`.
    public func recordChecks(of parent: HostSpan, reports: [CheckReport], checks: [RegisteredCheck], now: UInt64) {
        guard parent.isRecording, !reports.isEmpty else { return }
        let context = parent.ownContext
        let traceState = context.traceStateHeaderValue
        var random = IDGenerator.Source(generator: ids)
        var spans = SpanWriter(reserving: reports.count)
        for (index, report) in reports.enumerated() {
            let check = index < checks.count ? checks[index] : nil
            let start: UInt64
            let end: UInt64
            if report.isCached {
                (start, end) = (now, now)
            } else {
                end = UInt64(max(0, report.finishedAt.timeIntervalSince1970 * 1e9))
                start = end - min(end, UInt64(max(0, report.duration.seconds * 1e9)))
            }
            let status = report.result.status
            spans.span(
                traceID: context.traceID, spanID: SpanID.random(using: &random), parentSpanID: context.spanID,
                traceState: traceState, namePrefix: "check ", name: report.name, kind: .internal, start: start, end: end,
                status: status == .fail ? (true, "") : nil
            ) { attributes in
                attributes.attribute("check.cached", report.isCached)
                attributes.attribute("check.name", report.name)
                attributes.attribute("check.plugin", check?.pluginName ?? "")
                attributes.attribute("check.source", check?.implementation.source ?? "")
                attributes.attribute("check.status", status.description)
                attributes.attribute("check.timed_out", report.isTimedOut)
            }
        }
        exporter.enqueue(spans)
    }

    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {
        if let traceContext = Self.traceContext(in: carrier, using: extractor) { context.traceContext = traceContext }
    }

    /// The caller's `traceparent` and `tracestate`; a malformed traceparent is ignored,
    /// as the W3C spec asks (a new trace starts).
    private static func traceContext<Carrier, Extract: Extractor>(
        in carrier: Carrier, using extractor: Extract
    ) -> TraceContext? where Extract.Carrier == Carrier {
        guard let parent = extractor.extract(key: "traceparent", from: carrier) else { return nil }
        let state = extractor.extract(key: "tracestate", from: carrier)
        return try? TraceContext(traceParentHeaderValue: parent, traceStateHeaderValue: state)
    }

    public func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let traceContext = context.traceContext else { return }
        injector.inject(traceContext.traceParentHeaderValue, forKey: "traceparent", into: &carrier)
        if let state = traceContext.traceStateHeaderValue { injector.inject(state, forKey: "tracestate", into: &carrier) }
    }

    static func isSampled(traceID: TraceID, parent: TraceContext?, sampler: TracingSettings.Sampler) -> Bool {
        // (For a root span `traceID` is fresh, so a ratio sampler decides by it.)
        switch sampler {
        case .alwaysOn: return true
        case .alwaysOff: return false
        case .ratio(let ratio):
            // The lower 8 bytes of the trace id as a fraction, as the ratio samplers do.
            let bytes = traceID.bytes
            let low = [bytes.8, bytes.9, bytes.10, bytes.11, bytes.12, bytes.13, bytes.14, bytes.15]
                .reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return Double(low >> 11) / Double(UInt64(1) << 53) < ratio
        case .parentBased(let root):
            guard let parent else { return isSampled(traceID: traceID, parent: nil, sampler: root) }
            return parent.flags.contains(.sampled)
        }
    }
}

/// A span of the host: recorded when sampled, encoded and queued when it ends.
public final class HostSpan: Tracing.Span, Sendable {
    private struct State {
        var name: String
        /// In the order set; a handful per span, so a list beats `SpanAttributes`' dictionary
        /// (hashing every key cost more than the rest of setting it).
        var attributes: [(key: String, value: SpanAttribute)]
        var status: SpanStatus?
        var isEnded = false
    }

    /// The context the span was started in (its baggage); ``context`` adds the span's own.
    private let parentContext: InstrumentationContext
    private let kind: SpanKind
    private let own: TraceContext
    private let parentSpanID: SpanID?
    private let start: UInt64
    private let exporter: SpanExporter?
    private let state: Mutex<State>

    init(
        name: String, kind: SpanKind, parentContext: InstrumentationContext, own: TraceContext, parentSpanID: SpanID?,
        start: UInt64, exporter: SpanExporter?, attributes: [(key: String, value: SpanAttribute)]
    ) {
        self.parentContext = parentContext
        self.kind = kind
        self.own = own
        self.parentSpanID = parentSpanID
        self.start = start
        self.exporter = exporter
        self.state = Mutex(State(name: name, attributes: attributes))
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

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard let exporter else { return }
        let end = instant().nanosecondsSinceEpoch
        guard let finished = state.withLock({ state -> State? in
            guard !state.isEnded else { return nil }
            state.isEnded = true
            return state
        }) else { return }
        var spans = SpanWriter()
        spans.span(
            traceID: own.traceID, spanID: own.spanID, parentSpanID: parentSpanID, traceState: own.traceStateHeaderValue,
            name: finished.name, kind: Self.kind(kind), start: start, end: end,
            status: finished.status.map { (isError: $0.code == .error, message: $0.message ?? "") }
        ) { writer in
            for (key, attribute) in finished.attributes { writer.attribute(key, value: Self.value(attribute)) }
        }
        exporter.enqueue(spans)
    }

    /// The span's trace and span ids, as hex (for logs and tests).
    public var traceIDHex: String { own.traceID.description }

    private static func kind(_ kind: SpanKind) -> OTLPTraceEncoding.Kind {
        switch kind {
        case .server: .server
        case .client: .client
        case .producer: .producer
        case .consumer: .consumer
        case .internal: .internal
        }
    }

    private static func value(_ attribute: SpanAttribute) -> OTLPTraceEncoding.Value {
        switch attribute {
        case .string(let text): .string(text)
        case .bool(let flag): .bool(flag)
        case .int32(let number): .int(Int64(number))
        case .int64(let number): .int(number)
        case .double(let number): .double(number)
        case .stringArray(let texts): .strings(texts)
        case .stringConvertible(let convertible): .string(convertible.description)
        default: .string("\(attribute)")
        }
    }
}

extension InstrumentationContext {
    private enum TraceContextKey: InstrumentationContextKey {
        typealias Value = TraceContext
    }

    /// The W3C trace context of the current span (or of the caller, once extracted).
    var traceContext: TraceContext? {
        get { self[TraceContextKey.self] }
        set { self[TraceContextKey.self] = newValue }
    }
}
