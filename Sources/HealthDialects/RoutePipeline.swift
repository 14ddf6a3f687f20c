import HealthConfig
public import HealthCore
public import HealthHTTP
public import HealthMetrics
public import HealthTracing
import NIOCore
public import NIOHTTP1
import Tracing

/// The one request pipeline every route goes through, so that what every health
/// endpoint does is done once: find the route (404, 405), decide what the caller may see
/// (401), select the checks (a bad selection is a 400), get their reports from the
/// engine — on the event loop when every one is ready (cached, background), else off it
/// — render, count the request in the metrics and, when tracing is on, record a server
/// span (continuing the caller's `traceparent`) with a child span per check report.
public struct RoutePipeline: HTTPResponder {
    /// By path: the route and what the pipeline keeps for it (one lookup finds all).
    private let routes: [String: RouteEntry]
    /// What requests no route matched count and trace as.
    private let unmatched: RouteEntry
    private let auth: SharedSecretAuth
    private let isObserved: Bool
    private let tracer: HostTracer?
    private let checkSpans: CheckSpanCatalog

    /// A route and what the pipeline keeps for it, built once: its metrics counters and,
    /// when tracing is on, its server spans' encoded GET and HEAD fields. A class, so a
    /// lookup hands out one reference rather than a copy of the route's fields.
    private final class RouteEntry: Sendable {
        let route: HealthRoute?
        /// The route label of metrics and spans: the path, or `unmatched`.
        let label: String
        let counters: RouteCounters?
        let spans: ServerSpanPresets?
        /// Its responses kept to be sent again, when the route allows it.
        let kept: KeptResponses?

        init(route: HealthRoute?, label: String, metrics: RequestMetrics?, traced: Bool) {
            self.route = route
            self.label = label
            counters = metrics?.counters(for: label)
            spans = traced ? ServerSpanPresets(label: label) : nil
            kept = route?.reuse.variant == nil ? nil : KeptResponses()
        }
    }

    /// A pipeline serving `routes` (a later route of the same path replaces an earlier);
    /// `tracedChecks` are the checks whose spans' constant attributes are encoded up front.
    public init(
        routes: [HealthRoute], auth: SharedSecretAuth, metrics: RequestMetrics? = nil, tracer: HostTracer? = nil,
        tracedChecks: [RegisteredCheck] = []
    ) {
        var byPath: [String: RouteEntry] = [:]
        for route in routes {
            byPath[route.path] = RouteEntry(route: route, label: route.path, metrics: metrics, traced: tracer != nil)
        }
        self.routes = byPath
        unmatched = RouteEntry(route: nil, label: RequestMetrics.unmatchedRoute, metrics: metrics, traced: tracer != nil)
        self.auth = auth
        isObserved = metrics != nil || tracer != nil
        self.tracer = tracer
        checkSpans = CheckSpanCatalog(checks: tracer == nil ? [] : tracedChecks)
    }

    /// Every served path, sorted.
    public var paths: [String] { routes.keys.sorted() }

    public func respond(to request: HTTPRequest) -> HTTPReply {
        let entry = routes[request.path] ?? unmatched
        // Switched over, not mapped: a closure handed to `map` would be allocated for
        // every request, though only work that waits needs one.
        guard isObserved else {
            switch answer(request, entry: entry) {
            case .now(let answered): return .now(answered.response)
            case .later(let work): return .later { await work().response }
            }
        }
        let started = NIODeadline.now()
        let span = tracer.flatMap { serverSpan($0, for: request, entry: entry, startedAt: started) }
        switch answer(request, entry: entry) {
        case .now(let answered):
            Self.record(answered, of: entry, startedAt: started, span: span, tracer: tracer, catalog: checkSpans)
            return .now(answered.response)
        case .later(let work):
            let (catalog, tracer) = (checkSpans, tracer)
            return .later {
                let answered = await work()
                Self.record(answered, of: entry, startedAt: started, span: span, tracer: tracer, catalog: catalog)
                return answered.response
            }
        }
    }

    /// The JSON 404 for a path no route serves.
    public static func notFound(_ path: String) -> HTTPResponse {
        .error(.notFound, code: "not_found", message: "no endpoint at \(printable(path))")
    }

    /// The 405 for a method other than GET and HEAD, with `Allow`.
    public static func methodNotAllowed(_ method: HTTPMethod) -> HTTPResponse {
        .error(
            .methodNotAllowed, code: "method_not_allowed", message: "\(method.rawValue) is not allowed here; use GET or HEAD",
            headers: ["Allow": "GET, HEAD"])
    }

    /// The path as it may be echoed back: bounded in length.
    private static func printable(_ path: String) -> String {
        path.utf8.count <= 200 ? path : String(decoding: path.utf8.prefix(200), as: UTF8.self) + "..."
    }

    /// Counts an answered request in its route's metrics and ends its span.
    private static func record(
        _ answered: Answered, of entry: RouteEntry, startedAt started: NIODeadline, span: ServerSpan?, tracer: HostTracer?,
        catalog: CheckSpanCatalog
    ) {
        let code = answered.response.status.code
        let ended = NIODeadline.now()
        if let counters = entry.counters {
            counters.record(code: code, seconds: Double((ended - started).nanoseconds) / 1e9)
        }
        guard let span, let tracer else { return }
        tracer.end(
            span, endedAt: ended, httpStatusCode: Int(code), reports: answered.reports, check: { answered.check(at: $0) },
            catalog: catalog)
    }

    /// A response and the reports it was rendered from (each a check span when traced).
    struct Answered: Sendable {
        let response: HTTPResponse
        var reports: [CheckReport] = []
        var batches: [CheckSelector.Batch] = []

        /// The check of `reports[index]`.
        func check(at index: Int) -> RegisteredCheck? {
            var index = index
            for batch in batches {
                if index < batch.checks.count { return batch.checks[index] }
                index -= batch.checks.count
            }
            return nil
        }
    }

    private func answer(_ request: HTTPRequest, entry: RouteEntry) -> NowOrLater<Answered> {
        guard let route = entry.route else { return .now(Answered(response: Self.notFound(request.path))) }
        guard request.method == .GET || request.method == .HEAD else {
            return .now(Answered(response: Self.methodNotAllowed(request.method)))
        }
        guard let visibility = visibility(of: request, access: route.access) else {
            return .now(Answered(response: SharedSecretAuth.unauthorizedResponse))
        }
        // A kept response stands for its query and variant, selection included.
        var keptKey: KeptResponses.Key?
        if let kept = entry.kept, let variant = route.reuse.variant?(request) {
            if let answered = kept.answer(query: request.query, visibility: visibility, variant: variant) { return .now(answered) }
            keptKey = KeptResponses.Key(query: request.query, visibility: visibility, variant: variant)
        }
        let batches: [CheckSelector.Batch]
        do {
            batches = try route.checks.batches(for: request)
        } catch {
            return .now(Answered(response: error.response))
        }
        let render = route.render
        if let kept = entry.kept, let keptKey {
            if let (ready, stamps) = Self.stampedReportsWithoutWaiting(batches) {
                switch render(RouteInput(request: request, visibility: visibility, reports: ready)) {
                case .now(let response):
                    guard let stamps, Self.mayKeep(ready, visibility: visibility) else {
                        return .now(Answered(response: response, reports: ready, batches: batches))
                    }
                    let answered = Answered(response: response.withContentLength(), reports: ready, batches: batches)
                    kept.keep(answered, stamps: stamps, for: keptKey)
                    return .now(answered)
                case .later(let work):
                    return .later { Answered(response: await work(), reports: ready, batches: batches) }
                }
            }
        } else if let ready = Self.reportsWithoutWaiting(batches) {
            switch render(RouteInput(request: request, visibility: visibility, reports: ready)) {
            case .now(let response): return .now(Answered(response: response, reports: ready, batches: batches))
            case .later(let work): return .later { Answered(response: await work(), reports: ready, batches: batches) }
            }
        }
        return .later {
            let reports = await Self.reports(batches)
            let response = await render(RouteInput(request: request, visibility: visibility, reports: reports)).value()
            return Answered(response: response, reports: reports, batches: batches)
        }
    }

    /// Whether a response may be kept: not when it withholds a failing check's reason,
    /// as rendering it logs the reason (once a minute), which a kept response would skip.
    private static func mayKeep(_ reports: [CheckReport], visibility: Visibility) -> Bool {
        visibility == .full || reports.allSatisfy(\.result.status.isPassing)
    }

    /// The server span of a request: `GET /readyz`, as the HTTP semantic conventions name
    /// spans by method and route (unmatched paths are not span names).
    private func serverSpan(
        _ tracer: HostTracer, for request: HTTPRequest, entry: RouteEntry, startedAt started: NIODeadline
    ) -> ServerSpan? {
        // Any method but GET and HEAD (answered 405) is named and attributed per span:
        // nothing encoded to keep (presets live as long as the process; a method is
        // whatever a client sends).
        let fields = entry.spans?.fields(for: request.method) ?? .method(request.method.rawValue, route: entry.label)
        let traceParent = request.headers.first(name: "traceparent")
        return tracer.startServerSpan(
            fields, traceParent: traceParent, traceState: traceParent == nil ? nil : request.headers.first(name: "tracestate"),
            startedAt: started)
    }

    private func visibility(of request: HTTPRequest, access: HealthRoute.Access) -> Visibility? {
        switch access {
        case .open: .full
        case .secret, .checks(.required): auth.allows(request) ? .full : nil
        case .checks(.public): auth.allows(request) ? .full : .statusOnly
        }
    }

    private static func reportsWithoutWaiting(_ batches: [CheckSelector.Batch]) -> [CheckReport]? {
        if batches.isEmpty { return [] }
        if batches.count == 1 { return batches[0].engine.reportsWithoutWaiting(for: batches[0].checks) }
        var reports: [CheckReport] = []
        for batch in batches {
            guard let ready = batch.engine.reportsWithoutWaiting(for: batch.checks) else { return nil }
            reports += ready
        }
        return reports
    }

    /// ``reportsWithoutWaiting(_:)`` with each batch's stamp; the stamps are `nil` when
    /// any answer changes with the time itself.
    private static func stampedReportsWithoutWaiting(
        _ batches: [CheckSelector.Batch]
    ) -> (reports: [CheckReport], stamps: [ReportsStamp]?)? {
        if batches.isEmpty { return ([], []) }
        var reports: [CheckReport] = []
        var stamps: [ReportsStamp]? = []
        for batch in batches {
            guard let ready = batch.engine.stampedReportsWithoutWaiting(for: batch.checks) else { return nil }
            reports += ready.reports
            if let stamp = ready.stamp { stamps?.append(stamp) } else { stamps = nil }
        }
        return (reports, stamps)
    }

    /// Every batch's reports, the batches' calls running at once.
    private static func reports(_ batches: [CheckSelector.Batch]) async -> [CheckReport] {
        if batches.count == 1 { return await batches[0].engine.reports(for: batches[0].checks) }
        return await withTaskGroup(of: (Int, [CheckReport]).self) { group in
            for (index, batch) in batches.enumerated() {
                group.addTask { (index, await batch.engine.reports(for: batch.checks)) }
            }
            var byBatch = [[CheckReport]](repeating: [], count: batches.count)
            for await (index, reports) in group { byBatch[index] = reports }
            return byBatch.flatMap { $0 }
        }
    }
}

/// A route's server-span names and attributes for the methods it serves: what is the
/// same for every request of the route (`http.request.method`, `http.route`, and
/// `url.path`, which is the route itself, or `unmatched`). Made once per route when the
/// pipeline is built: their encoded fields are never freed.
private struct ServerSpanPresets: Sendable {
    let get: EncodedSpanFields
    let head: EncodedSpanFields

    init(label: String) {
        func fields(_ method: HTTPMethod) -> EncodedSpanFields {
            EncodedSpanFields(
                name: "\(method.rawValue) \(label)", kind: .server,
                attributes: [
                    ("http.request.method", .string(method.rawValue)), ("http.route", .string(label)),
                    ("url.path", .string(label)),
                ])
        }
        get = fields(.GET)
        head = fields(.HEAD)
    }

    func fields(for method: HTTPMethod) -> ServerSpan.Fields? {
        switch method {
        case .GET: .encoded(get)
        case .HEAD: .encoded(head)
        default: nil
        }
    }
}
