import HealthCore
import HealthHTTP
import HealthMetrics
import NIOCore

/// The one request pipeline every route goes through, so that what every health
/// endpoint does is done once: find the route (404, 405), decide what the caller may see
/// (401), select the checks (a bad selection is a 400), get their reports from the
/// engine — on the event loop when every one is ready (cached, background), else off it
/// — render, and count the request in the metrics.
public struct RoutePipeline: HTTPResponder {
    private let routes: [String: HealthRoute]
    private let auth: SharedSecretAuth
    private let metrics: RequestMetrics?

    /// A pipeline serving `routes` (a later route of the same path replaces an earlier).
    public init(routes: [HealthRoute], auth: SharedSecretAuth, metrics: RequestMetrics? = nil) {
        var byPath: [String: HealthRoute] = [:]
        for route in routes { byPath[route.path] = route }
        self.routes = byPath
        self.auth = auth
        self.metrics = metrics
    }

    /// Every served path, sorted.
    public var paths: [String] { routes.keys.sorted() }

    public func respond(to request: HTTPRequest) -> HTTPReply {
        guard let metrics else { return reply(to: request) }
        let started = NIODeadline.now()
        let label = routes[request.path] == nil ? RequestMetrics.unmatchedRoute : request.path
        @Sendable func record(_ response: HTTPResponse) {
            let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
            metrics.record(route: label, code: response.status.code, seconds: seconds)
        }
        switch reply(to: request) {
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

    private func reply(to request: HTTPRequest) -> HTTPReply {
        guard let route = routes[request.path] else { return .now(RouteTable.notFound(request.path)) }
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
            let input = RouteInput(request: request, visibility: visibility, reports: ready)
            switch route.render {
            case .now(let render): return .now(render(input))
            case .async(let render): return .later { await render(input) }
            }
        }
        let render = route.render
        return .later {
            let input = RouteInput(request: request, visibility: visibility, reports: await Self.reports(batches))
            switch render {
            case .now(let render): return render(input)
            case .async(let render): return await render(input)
            }
        }
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
