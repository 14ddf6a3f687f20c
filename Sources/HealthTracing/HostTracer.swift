public import HealthOTLP
public import Logging
public import NIOCore
public import Tracing
import W3CTraceContext

/// The host's tracer (swift-distributed-tracing's `Tracer`): W3C `traceparent` in and
/// out, sampling as `OTEL_TRACES_SAMPLER` says, finished spans batched to an OTLP/HTTP
/// collector by the OTLP exporter (HealthOTLP's `SpanExporter`).
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
    /// Whether traces without a sampled caller are never recorded (worked out once: the
    /// sampler is an indirect enum).
    private let rootIsAlwaysOff: Bool
    /// Where finished spans go (the OTLP exporter).
    let exporter: any SpanExporting

    /// A tracer exporting with `settings`, the spans' resource being `resource`.
    public init(settings: TracingSettings, resource: [String: ResourceValue], version: String, logger: Logger) {
        self.settings = settings
        if case .alwaysOff = settings.sampler.root { rootIsAlwaysOff = true } else { rootIsAlwaysOff = false }
        let attributes = resource.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value.spanValue) }
        exporter = SpanExporter(settings: settings.export, resource: attributes, version: version, logger: logger)
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

    /// Spans exported, queued and dropped, and failed exports, so far (`/metrics` shows them).
    public var counts: SpanExportCounts { exporter.counts }

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
        var random = IDGenerator.Source()
        let traceID = parent?.traceID ?? random.traceID()
        let sampled = Self.isSampled(traceID: traceID, parent: parent, sampler: settings.sampler)
        return makeSpan(
            operationName, kind: kind, parentContext: parentContext, parent: parent, traceID: traceID, sampled: sampled,
            start: instant().nanosecondsSinceEpoch)
    }

    private func makeSpan(
        _ name: String, kind: SpanKind, parentContext: InstrumentationContext, parent: TraceContext?, traceID: TraceID,
        sampled: Bool, start: UInt64
    ) -> HostSpan {
        var random = IDGenerator.Source()
        let own = TraceContext(
            traceID: traceID, spanID: random.spanID(), flags: sampled ? .sampled : [],
            state: parent?.state ?? Self.emptyTraceState)
        return HostSpan(
            name: name, kind: kind, parentContext: parentContext, own: own, parentSpanID: parent?.spanID,
            start: start, exporter: sampled ? exporter : nil)
    }

    /// Built once: `TraceState([])` cost 4 % of a fully traced host's CPU when made per span.
    private static let emptyTraceState = TraceState([])

    public func forceFlush() {}

    /// The server span of a request with the `traceparent` and `tracestate` headers
    /// given, or `nil` when the trace is not sampled: an unsampled request then costs the
    /// header lookup and the sampler, no span (the host makes no calls a context would
    /// have to travel on). Not generic over a carrier, so that nothing on a traced
    /// request's path goes through value witnesses. `started` is the caller's monotonic
    /// reading of the request's start (its metrics take the same one).
    public func startServerSpan(
        _ fields: ServerSpan.Fields, traceParent: String?, traceState: String?, startedAt started: NIODeadline = .now()
    ) -> ServerSpan? {
        let parent = traceParent.flatMap { try? TraceContext(traceParentHeaderValue: $0, traceStateHeaderValue: traceState) }
        if parent == nil && rootIsAlwaysOff { return nil }
        var random = IDGenerator.Source()
        let traceID = parent?.traceID ?? random.traceID()
        guard Self.isSampled(traceID: traceID, parent: parent, sampler: settings.sampler) else { return nil }
        return ServerSpan(
            traceID: traceID, spanID: random.spanID(), parentSpanID: parent?.spanID,
            traceState: parent?.traceStateHeaderValue ?? "", start: DefaultTracerClock.now.nanosecondsSinceEpoch,
            monotonicStart: started.uptimeNanoseconds, fields: fields)
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
            let low = withUnsafeBytes(of: traceID.bytes) { bytes in
                bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            }
            return Double(low >> 11) / Double(UInt64(1) << 53) < ratio
        case .parentBased(let root):
            guard let parent else { return isSampled(traceID: traceID, parent: nil, sampler: root) }
            return parent.flags.contains(.sampled)
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
