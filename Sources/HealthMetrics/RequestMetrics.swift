import HealthCore
import Synchronization

/// Requests served per route and status code, and how long they took: the
/// `healthhost_http_requests_total` and `healthhost_http_request_duration_seconds`
/// series. Routes are known when the host starts, so each has its counters from then
/// on; recording takes one uncontended lock and no allocation.
public final class RequestMetrics: Sendable {
    /// The route label of requests no route matched (their paths are not labels:
    /// a scanner would create a series per path).
    public static let unmatchedRoute = "unmatched"

    private let counters: [String: RouteCounters]
    private let unmatched: RouteCounters

    /// Counters for `routes` (their paths) and for unmatched requests.
    public init(routes: [String]) {
        var counters: [String: RouteCounters] = [:]
        for route in routes { counters[route] = RouteCounters() }
        self.counters = counters
        self.unmatched = RouteCounters()
    }

    /// Counts one answered request of `route` (``unmatchedRoute`` or a registered path).
    public func record(route: String, code: UInt, seconds: Double) {
        (counters[route] ?? unmatched).record(code: code, seconds: seconds)
    }

    /// A copy of every route's counters, sorted by route.
    public func snapshot() -> [(route: String, counts: RouteCounts)] {
        var routes = counters.map { (route: $0.key, counts: $0.value.read()) }
        routes.append((Self.unmatchedRoute, unmatched.read()))
        return routes.sorted { $0.route < $1.route }
    }
}

/// One route's requests: a count per status code and a duration histogram.
public struct RouteCounts: Sendable {
    /// Requests per status code.
    public var byCode: [UInt: Int] = [:]
    /// How long they took, from routing to the response being ready.
    public var durations = DurationHistogram(bounds: DurationHistogram.requestBounds)
    /// Every request.
    public var count: Int { durations.count }
}

final class RouteCounters: Sendable {
    private let counts = Mutex(RouteCounts())

    func record(code: UInt, seconds: Double) {
        counts.withLock { counts in
            counts.byCode[code, default: 0] += 1
            counts.durations.record(seconds: seconds)
        }
    }

    func read() -> RouteCounts { counts.withLock { $0 } }
}
