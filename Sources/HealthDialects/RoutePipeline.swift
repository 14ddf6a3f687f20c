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

    /// A pipeline serving `routes` (a later route of the same path replaces an earlier).
    public init(routes: [HealthRoute], auth: SharedSecretAuth, metrics: RequestMetrics? = nil, tracer: HostTracer? = nil) {
        var byPath: [String: HealthRoute] = [:]
        for route in routes { byPath[route.path] = route }
        self.routes = byPath
        self.auth = auth
        self.metrics = metrics
        self.tracer = tracer
    }

    /// Every served path, sorted.
    public var paths: [String] { routes.keys.sorted() }

    public func respond(to request: HTTPRequest) -> HTTPReply {
        let route = routes[request.path]
        guard metrics != nil || tracer != nil else { return reply(to: request, route: route, span: nil) }
        let started = NIODeadline.now()
        let label = route == nil ? RequestMetrics.unmatchedRoute : request.path
        let span = tracer.flatMap { Self.serverSpan($0, for: request, route: label) }
        let metrics = self.metrics
        @Sendable func record(_ response: HTTPResponse) {
            let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
            metrics?.record(route: label, code: response.status.code, seconds: seconds)
            if let span {
                span.setAttribute("http.response.status_code", Int64(response.status.code))
                if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
                span.end()
            }
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
            if let span, let tracer { Self.traceChecks(ready, batches: batches, parent: span, tracer: tracer) }
            let input = RouteInput(request: request, visibility: visibility, reports: ready)
            switch route.render {
            case .now(let render): return .now(render(input))
            case .async(let render): return .later { await render(input) }
            }
        }
        let render = route.render
        let tracer = self.tracer
        return .later {
            let reports = await Self.reports(batches)
            if let span, let tracer { Self.traceChecks(reports, batches: batches, parent: span, tracer: tracer) }
            let input = RouteInput(request: request, visibility: visibility, reports: reports)
            switch render {
            case .now(let render): return render(input)
            case .async(let render): return await render(input)
            }
        }
    }

    /// The server span of a request: `GET /readyz`, as the HTTP semantic conventions name
    /// spans by method and route (unmatched paths are not span names).
    private static func serverSpan(_ tracer: HostTracer, for request: HTTPRequest, route: String) -> HostSpan? {
        var attributes: [(key: String, value: SpanAttribute)] = []
        attributes.reserveCapacity(4)  // and http.response.status_code at the end
        attributes.append(("http.request.method", .string(request.method.rawValue)))
        attributes.append(("http.route", .string(route)))
        attributes.append(("url.path", .string(route == RequestMetrics.unmatchedRoute ? route : request.path)))
        return tracer.startSampledSpan(
            "\(request.method.rawValue) \(route)", kind: .server, carrier: request.headers, using: HeaderExtractor(),
            attributes: attributes)
    }

    /// A child span per report (``HostTracer/recordChecks(of:reports:checks:now:)``).
    private static func traceChecks(
        _ reports: [CheckReport], batches: [CheckSelector.Batch], parent: HostSpan, tracer: HostTracer
    ) {
        guard parent.isRecording else { return }
        let checks = batches.count == 1 ? batches[0].checks : batches.flatMap(\.checks)
        tracer.recordChecks(of: parent, reports: reports, checks: checks, now: DefaultTracerClock.now.nanosecondsSinceEpoch)
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
