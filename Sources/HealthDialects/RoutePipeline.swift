import HealthCore
import HealthHTTP
import HealthMetrics
import HealthTracing
import NIOCore
import NIOHTTP1
import Tracing

/// The one request pipeline every route goes through, so that what every health
/// endpoint does is done once: find the route (404, 405), decide what the caller may see
/// (401), select the checks (a bad selection is a 400), get their reports from the
/// engine — on the event loop when every one is ready (cached, background), else off it
/// — render, count the request in the metrics and, when tracing is on, record a server
/// span (continuing the caller's `traceparent`) with a child span per check report.
public struct RoutePipeline: HTTPResponder {
    /// By path: the route and, when tracing is on, its server spans' GET and HEAD names
    /// and attributes, encoded once (one lookup finds both).
    private let routes: [String: (route: HealthRoute, spans: ServerSpanPresets?)]
    /// The server spans of unmatched paths (tracing on only).
    private let unmatchedSpans: ServerSpanPresets?
    private let auth: SharedSecretAuth
    private let metrics: RequestMetrics?
    private let tracer: HostTracer?
    private let checkSpans: CheckSpanCatalog

    /// A pipeline serving `routes` (a later route of the same path replaces an earlier);
    /// `tracedChecks` are the checks whose spans' constant attributes are encoded up front.
    public init(
        routes: [HealthRoute], auth: SharedSecretAuth, metrics: RequestMetrics? = nil, tracer: HostTracer? = nil,
        tracedChecks: [RegisteredCheck] = []
    ) {
        var byPath: [String: (route: HealthRoute, spans: ServerSpanPresets?)] = [:]
        for route in routes { byPath[route.path] = (route, tracer == nil ? nil : ServerSpanPresets(label: route.path)) }
        self.routes = byPath
        self.auth = auth
        self.metrics = metrics
        self.tracer = tracer
        unmatchedSpans = tracer == nil ? nil : ServerSpanPresets(label: RequestMetrics.unmatchedRoute)
        checkSpans = CheckSpanCatalog(checks: tracer == nil ? [] : tracedChecks)
    }

    /// Every served path, sorted.
    public var paths: [String] { routes.keys.sorted() }

    public func respond(to request: HTTPRequest) -> HTTPReply {
        let entry = routes[request.path]
        let route = entry?.route
        guard metrics != nil || tracer != nil else {
            switch answer(request, route: route) {
            case .now(let answered): return .now(answered.response)
            case .later(let work): return .later { await work().response }
            }
        }
        let started = NIODeadline.now()
        let label = route == nil ? RequestMetrics.unmatchedRoute : request.path
        let presets = entry == nil ? unmatchedSpans : entry?.spans
        let span = tracer.flatMap { serverSpan($0, for: request, route: label, presets: presets) }
        let metrics = self.metrics
        let catalog = checkSpans
        @Sendable func record(_ answered: Answered) {
            let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
            metrics?.record(route: label, code: answered.response.status.code, seconds: seconds)
            guard let span else { return }
            span.end(
                httpStatusCode: Int(answered.response.status.code), reports: answered.reports,
                check: { answered.check(at: $0) }, catalog: catalog)
        }
        switch answer(request, route: route) {
        case .now(let answered):
            record(answered)
            return .now(answered.response)
        case .later(let work):
            return .later {
                let answered = await work()
                record(answered)
                return answered.response
            }
        }
    }

    /// A response and the reports it was rendered from (each a check span when traced).
    private struct Answered: Sendable {
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

    private enum Answer {
        case now(Answered)
        case later(@Sendable () async -> Answered)
    }

    private func answer(_ request: HTTPRequest, route: HealthRoute?) -> Answer {
        guard let route else { return .now(Answered(response: RouteTable.notFound(request.path))) }
        guard request.method == .GET || request.method == .HEAD else {
            return .now(Answered(response: RouteTable.methodNotAllowed(request.method)))
        }
        guard let visibility = visibility(of: request, access: route.access) else {
            return .now(Answered(response: SharedSecretAuth.unauthorizedResponse))
        }
        let batches: [CheckSelector.Batch]
        do {
            batches = try route.checks.batches(for: request)
        } catch {
            return .now(Answered(response: error.response))
        }
        let render = route.render
        if let ready = Self.reportsWithoutWaiting(batches) {
            let input = RouteInput(request: request, visibility: visibility, reports: ready)
            switch render {
            case .now(let render): return .now(Answered(response: render(input), reports: ready, batches: batches))
            case .async(let render):
                return .later { Answered(response: await render(input), reports: ready, batches: batches) }
            }
        }
        return .later {
            let reports = await Self.reports(batches)
            let input = RouteInput(request: request, visibility: visibility, reports: reports)
            let response: HTTPResponse
            switch render {
            case .now(let render): response = render(input)
            case .async(let render): response = await render(input)
            }
            return Answered(response: response, reports: reports, batches: batches)
        }
    }

    /// The server span of a request: `GET /readyz`, as the HTTP semantic conventions name
    /// spans by method and route (unmatched paths are not span names).
    private func serverSpan(
        _ tracer: HostTracer, for request: HTTPRequest, route: String, presets: ServerSpanPresets?
    ) -> ServerSpan? {
        // Any method but GET and HEAD (answered 405) is named and attributed per span:
        // nothing encoded to keep (presets live as long as the process; a method is
        // whatever a client sends).
        let fields = presets?.fields(for: request.method) ?? .method(request.method.rawValue, route: route)
        let traceParent = request.headers.first(name: "traceparent")
        return tracer.startServerSpan(
            fields, traceParent: traceParent, traceState: traceParent == nil ? nil : request.headers.first(name: "tracestate"))
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
