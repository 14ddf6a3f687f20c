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
    private let ids = IDGenerator.shared

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
        sampled: Bool, start: UInt64, preset: EncodedAttributes = .none
    ) -> HostSpan {
        var random = IDGenerator.Source(generator: ids)
        let own = TraceContext(
            traceID: traceID, spanID: SpanID.random(using: &random), flags: sampled ? .sampled : [],
            state: parent?.state ?? Self.emptyTraceState)
        return HostSpan(
            name: name, kind: kind, parentContext: parentContext, own: own, parentSpanID: parent?.spanID,
            start: start, exporter: sampled ? exporter : nil, preset: preset)
    }

    /// Built once: `TraceState([])` cost 4 % of a fully traced host's CPU when made per span.
    private static let emptyTraceState = TraceState([])

    public func forceFlush() {}

    /// The server span of a request whose headers `extract` reads, carrying `preset`
    /// attributes (and any set later), or `nil` when the trace is not sampled: an unsampled
    /// request then costs the header lookup and the sampler, no span (the host makes no
    /// calls a context would have to travel on). The span's ``HostSpan/context`` is built
    /// only if someone asks for it.
    public func startSampledSpan<Carrier, Extract: Extractor>(
        _ operationName: String, kind: SpanKind, carrier: Carrier, using extractor: Extract,
        preset: EncodedAttributes = .none
    ) -> HostSpan? where Extract.Carrier == Carrier {
        let parent = Self.traceContext(in: carrier, using: extractor)
        if parent == nil, case .alwaysOff = settings.sampler.root { return nil }
        var random = IDGenerator.Source(generator: ids)
        let traceID = parent?.traceID ?? TraceID.random(using: &random)
        guard Self.isSampled(traceID: traceID, parent: parent, sampler: settings.sampler) else { return nil }
        return makeSpan(
            operationName, kind: kind, parentContext: .topLevel, parent: parent, traceID: traceID, sampled: true,
            start: DefaultTracerClock.now.nanosecondsSinceEpoch, preset: preset)
    }

    /// A span per check report, children of `parent`, encoded at once and queued with
    /// `parent` when it ends (one trip to the queue per request). A run this request
    /// started or joined spans the run's own time; a stored answer is an instant at `now`
    /// (`check.cached`). `checks[i]` is the check of `reports[i]`; `catalog` holds the
    /// checks' constant attributes.
    public func recordChecks(
        of parent: HostSpan, reports: [CheckReport], checks: [RegisteredCheck], catalog: CheckSpanCatalog, now: UInt64
    ) {
        guard parent.isRecording, !reports.isEmpty else { return }
        let context = parent.ownContext
        let traceState = context.traceStateHeaderValue
        var random = IDGenerator.Source(generator: ids)
        var spans = SpanWriter(reserving: reports.count)
        for (index, report) in reports.enumerated() {
            let start: UInt64
            let end: UInt64
            if report.isCached {
                (start, end) = (now, now)
            } else {
                end = UInt64(max(0, report.finishedAt.timeIntervalSince1970 * 1e9))
                start = end - min(end, UInt64(max(0, report.duration.seconds * 1e9)))
            }
            let status = report.result.status
            let constant = catalog.attributes(of: report.name)
            spans.span(
                traceID: context.traceID, spanID: SpanID.random(using: &random), parentSpanID: context.spanID,
                traceState: traceState, namePrefix: "check ", name: report.name, kind: .internal, start: start, end: end,
                status: status == .fail ? (true, "") : nil
            ) { attributes in
                if let constant {
                    attributes.append(encoded: constant.bytes)  // check.name, check.plugin, check.source
                } else {
                    let check = index < checks.count ? checks[index] : nil
                    CheckSpanCatalog.write(name: report.name, plugin: check?.pluginName ?? "", source: check?.source ?? "", into: &attributes)
                }
                attributes.append(encoded: CheckSpanAttributes.cached[report.isCached ? 1 : 0].bytes)
                attributes.append(encoded: CheckSpanAttributes.status[status.rawValue].bytes)
                attributes.append(encoded: CheckSpanAttributes.timedOut[report.isTimedOut ? 1 : 0].bytes)
            }
        }
        parent.adopt(spans)
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
        /// Child spans recorded whole (``HostTracer/recordChecks(of:reports:checks:catalog:now:)``),
        /// queued with this one.
        var children: SpanWriter?
    }

    /// The context the span was started in (its baggage); ``context`` adds the span's own.
    private let parentContext: InstrumentationContext
    private let kind: SpanKind
    private let own: TraceContext
    private let parentSpanID: SpanID?
    private let start: UInt64
    private let exporter: SpanExporter?
    /// Attributes given encoded at the start; the others are in `state`.
    private let preset: EncodedAttributes
    private let state: Mutex<State>

    init(
        name: String, kind: SpanKind, parentContext: InstrumentationContext, own: TraceContext, parentSpanID: SpanID?,
        start: UInt64, exporter: SpanExporter?, preset: EncodedAttributes
    ) {
        self.parentContext = parentContext
        self.kind = kind
        self.own = own
        self.parentSpanID = parentSpanID
        self.start = start
        self.exporter = exporter
        self.preset = preset
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

    /// Keeps `spans` (children of this span) to queue with it; queues them at once when
    /// this span has ended already.
    func adopt(_ spans: SpanWriter) {
        guard let exporter else { return }
        let ended = state.withLock { state -> Bool in
            guard !state.isEnded else { return true }
            if state.children == nil { state.children = spans } else { state.children?.append(spans) }
            return false
        }
        if ended { exporter.enqueue(spans) }
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        guard let exporter else { return }
        let end = instant().nanosecondsSinceEpoch
        guard var finished = state.withLock({ state -> State? in
            guard !state.isEnded else { return nil }
            state.isEnded = true
            defer { state.children = nil }
            return state
        }) else { return }
        var spans = finished.children.take() ?? SpanWriter()
        spans.span(
            traceID: own.traceID, spanID: own.spanID, parentSpanID: parentSpanID, traceState: own.traceStateHeaderValue,
            name: finished.name, kind: Self.kind(kind), start: start, end: end,
            status: finished.status.map { (isError: $0.code == .error, message: $0.message ?? "") }
        ) { writer in
            writer.append(encoded: preset.bytes)
            for (key, attribute) in finished.attributes { writer.attribute(key, value: OTLPTraceEncoding.Value(attribute)) }
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

/// The constant attributes of check spans (`check.name`, `check.plugin`,
/// `check.source`), encoded once per configured check, and the few values the others
/// take. Built before serving and only read after: no lock on the request path.
public struct CheckSpanCatalog: Sendable {
    /// By check name; `nil` for a name two checks share with different plugins or sources
    /// (the host's config refuses that, checks and dependencies alike), whose spans are
    /// then encoded as they end, as are those of a check the catalog was not given.
    private let entries: [String: EncodedAttributes?]

    /// The catalog of `checks`.
    public init(checks: [RegisteredCheck]) {
        var seen: [String: (plugin: String, source: String)] = [:]
        var entries: [String: EncodedAttributes?] = [:]
        for check in checks {
            if let earlier = seen[check.name] {
                if earlier.plugin != check.pluginName || earlier.source != check.source { entries[check.name] = .some(nil) }
                continue
            }
            seen[check.name] = (check.pluginName, check.source)
            entries[check.name] = EncodedAttributes { writer in
                Self.write(name: check.name, plugin: check.pluginName, source: check.source, into: &writer)
            }
        }
        self.entries = entries
    }

    /// The encoded attributes of the check named `name`, when the catalog has them.
    func attributes(of name: String) -> EncodedAttributes? { entries[name] ?? nil }

    static func write(name: String, plugin: String, source: String, into writer: inout ProtobufWriter) {
        writer.attribute("check.name", name)
        writer.attribute("check.plugin", plugin)
        writer.attribute("check.source", source)
    }
}

/// The values of a check span's attributes that vary: few enough to encode in advance.
enum CheckSpanAttributes {
    /// `check.cached` false, true.
    static let cached = [false, true].map { flag in EncodedAttributes { $0.attribute("check.cached", flag) } }
    /// `check.timed_out` false, true.
    static let timedOut = [false, true].map { flag in EncodedAttributes { $0.attribute("check.timed_out", flag) } }
    /// `check.status` by `CheckStatus.rawValue` (pass, warn, fail).
    static let status = [CheckStatus.pass, .warn, .fail].map { status in
        EncodedAttributes { $0.attribute("check.status", status.description) }
    }
}
