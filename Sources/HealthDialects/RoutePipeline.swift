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
    private let routes: [String: HealthRoute]
    private let auth: SharedSecretAuth
    private let metrics: RequestMetrics?
    private let tracer: HostTracer?
    /// Per span label (a route, or `unmatched`): its server spans' GET and HEAD names and
    /// attributes, encoded once (tracing on only).
    private let spanPresets: [String: ServerSpanPresets]
    private let checkSpans: CheckSpanCatalog

    /// A pipeline serving `routes` (a later route of the same path replaces an earlier);
    /// `tracedChecks` are the checks whose spans' constant attributes are encoded up front.
    public init(
        routes: [HealthRoute], auth: SharedSecretAuth, metrics: RequestMetrics? = nil, tracer: HostTracer? = nil,
        tracedChecks: [RegisteredCheck] = []
    ) {
        var byPath: [String: HealthRoute] = [:]
        for route in routes { byPath[route.path] = route }
        self.routes = byPath
        self.auth = auth
        self.metrics = metrics
        self.tracer = tracer
        var presets: [String: ServerSpanPresets] = [:]
        if tracer != nil {
            for label in byPath.keys + [RequestMetrics.unmatchedRoute] { presets[label] = ServerSpanPresets(label: label) }
        }
        spanPresets = presets
        checkSpans = CheckSpanCatalog(checks: tracer == nil ? [] : tracedChecks)
    }

    /// Every served path, sorted.
    public var paths: [String] { routes.keys.sorted() }

    public func respond(to request: HTTPRequest) -> HTTPReply {
        let route = routes[request.path]
        guard metrics != nil || tracer != nil else { return reply(to: request, route: route, span: nil) }
        let started = NIODeadline.now()
        let label = route == nil ? RequestMetrics.unmatchedRoute : request.path
        let span = tracer.flatMap { serverSpan($0, for: request, route: label) }
        let metrics = self.metrics
        @Sendable func record(_ response: HTTPResponse) {
            let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
            metrics?.record(route: label, code: response.status.code, seconds: seconds)
            span?.end(httpStatusCode: Int(response.status.code))
        }
        switch reply(to: request, route: route, span: span) {
        case .now(let response):
            record(response)
            return .now(response)
        case .later(let work):
            return .later {
                let response = await work()
                record(response)
                return response
            }
        }
    }

    private func reply(to request: HTTPRequest, route: HealthRoute?, span: HostSpan?) -> HTTPReply {
        guard let route else { return .now(RouteTable.notFound(request.path)) }
        guard request.method == .GET || request.method == .HEAD else { return .now(RouteTable.methodNotAllowed(request.method)) }
        guard let visibility = visibility(of: request, access: route.access) else {
            return .now(SharedSecretAuth.unauthorizedResponse)
        }
        let batches: [CheckSelector.Batch]
        do {
            batches = try route.checks.batches(for: request)
        } catch {
            return .now(error.response)
        }
        if let ready = Self.reportsWithoutWaiting(batches) {
            if let span, let tracer {
                Self.traceChecks(ready, batches: batches, parent: span, tracer: tracer, catalog: checkSpans)
            }
            let input = RouteInput(request: request, visibility: visibility, reports: ready)
            switch route.render {
            case .now(let render): return .now(render(input))
            case .async(let render): return .later { await render(input) }
            }
        }
        let render = route.render
        let tracer = self.tracer
        let catalog = checkSpans
        return .later {
            let reports = await Self.reports(batches)
            if let span, let tracer {
                Self.traceChecks(reports, batches: batches, parent: span, tracer: tracer, catalog: catalog)
            }
            let input = RouteInput(request: request, visibility: visibility, reports: reports)
            switch render {
            case .now(let render): return render(input)
            case .async(let render): return await render(input)
            }
        }
    }

    /// The server span of a request: `GET /readyz`, as the HTTP semantic conventions name
    /// spans by method and route (unmatched paths are not span names).
    private func serverSpan(_ tracer: HostTracer, for request: HTTPRequest, route: String) -> HostSpan? {
        if let preset = spanPresets[route]?.preset(for: request.method) {
            return tracer.startSampledSpan(
                preset.name, kind: .server, carrier: request.headers, using: HeaderExtractor(), preset: preset.attributes)
        }
        // Any other method (answered 405): attributes set one by one, nothing encoded to
        // keep (presets live as long as the process; a method is whatever a client sends).
        let method = request.method.rawValue
        guard
            let span = tracer.startSampledSpan(
                "\(method) \(route)", kind: .server, carrier: request.headers, using: HeaderExtractor())
        else { return nil }
        span.setAttribute("http.request.method", method)
        span.setAttribute("http.route", route)
        span.setAttribute("url.path", route)
        return span
    }

    /// A child span per report (``HostTracer/recordChecks(of:reports:checks:catalog:now:)``).
    private static func traceChecks(
        _ reports: [CheckReport], batches: [CheckSelector.Batch], parent: HostSpan, tracer: HostTracer,
        catalog: CheckSpanCatalog
    ) {
        guard parent.isRecording else { return }
        let checks = batches.count == 1 ? batches[0].checks : batches.flatMap(\.checks)
        tracer.recordChecks(
            of: parent, reports: reports, checks: checks, catalog: catalog, now: DefaultTracerClock.now.nanosecondsSinceEpoch)
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

/// Reads `traceparent` and `tracestate` from request headers.
private struct HeaderExtractor: Extractor {
    func extract(key: String, from headers: HTTPHeaders) -> String? {
        headers.first(name: key)
    }
}

/// A route's server-span names and attributes for the methods it serves: what is the
/// same for every request of the route (`http.request.method`, `http.route`, and
/// `url.path`, which is the route itself, or `unmatched`). Made once per route when the
/// pipeline is built: their encoded attributes are never freed.
private struct ServerSpanPresets: Sendable {
    struct Preset: Sendable {
        let name: String
        let attributes: EncodedAttributes

        init(label: String, method: HTTPMethod) {
            name = "\(method.rawValue) \(label)"
            attributes = EncodedAttributes([
                ("http.request.method", .string(method.rawValue)), ("http.route", .string(label)),
                ("url.path", .string(label)),
            ])
        }
    }

    let get: Preset
    let head: Preset

    init(label: String) {
        get = Preset(label: label, method: .GET)
        head = Preset(label: label, method: .HEAD)
    }

    func preset(for method: HTTPMethod) -> Preset? {
        switch method {
        case .GET: get
        case .HEAD: head
        default: nil
        }
    }
}
