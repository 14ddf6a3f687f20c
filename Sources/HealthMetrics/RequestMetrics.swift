public import HealthCore
import HealthPOSIX
import Synchronization

/// Requests served per route and status code, and how long they took: the
/// `healthhost_http_requests_total` and `healthhost_http_request_duration_seconds`
/// series. Routes are known when the host starts, so each has its counters from then
/// on; the request pipeline looks a route's up once (``counters(for:)``) and recording
/// takes a lock of the calling thread's own and no allocation.
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

    /// The counters of `route` (a path given at init; any other path counts as
    /// ``unmatchedRoute``).
    public func counters(for route: String) -> RouteCounters {
        counters[route] ?? unmatched
    }

    /// A copy of every route's counters, sorted by route.
    public func snapshot() -> [(route: String, counts: RouteCounts)] {
        var routes = counters.map { (route: $0.key, counts: $0.value.read()) }
        routes.append((Self.unmatchedRoute, unmatched.read()))
        return routes.sorted { $0.route < $1.route }
    }
}

extension RequestMetrics: MetricsCollector {
    /// Writes `healthhost_http_requests_total` and `healthhost_http_request_duration_seconds`.
    public func collect(into out: inout PrometheusText) {
        let routes = snapshot()
        out.family("healthhost_http_requests_total", "counter", help: "HTTP requests answered, by route and status code.")
        for (route, counts) in routes {
            for (code, count) in counts.byCode.sorted(by: { $0.key < $1.key }) {
                out.sample("healthhost_http_requests_total", [("route", route), ("code", String(code))], count)
            }
        }
        out.family("healthhost_http_request_duration_seconds", "histogram", help: "Time from routing a request to its response being ready.")
        for (route, counts) in routes where counts.count > 0 {
            out.histogram("healthhost_http_request_duration_seconds", [("route", route)], counts.durations)
        }
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

/// One route's counters, a copy per thread group (``ThreadShards``): the event loops
/// count every request, and one shared lock had its cache line bounce between the cores
/// on each. A scrape adds the copies up.
public final class RouteCounters: Sendable {
    /// One shard's counts: per status code as a short list (a route answers with one to
    /// a few codes; no hashing on the request path).
    struct Counts: Sendable {
        var byCode: [(code: UInt, count: Int)] = []
        var durations = DurationHistogram(bounds: DurationHistogram.requestBounds)
    }

    /// Shards for the event loops and a few pool threads; more would be memory per route
    /// that no machine here had threads to use.
    private static let shardCount = 8
    private let shards = ThreadShards<Counts>(count: RouteCounters.shardCount) { Counts() }

    /// Counters with nothing counted.
    public init() {}

    /// Counts one request answered with `code` after `seconds`.
    public func record(code: UInt, seconds: Double) {
        shards.withCurrent { counts in
            if let index = counts.byCode.firstIndex(where: { $0.code == code }) {
                counts.byCode[index].count += 1
            } else {
                counts.byCode.append((code, 1))
            }
            counts.durations.record(seconds: seconds)
        }
    }

    /// Every shard's counts added up.
    public func read() -> RouteCounts {
        var total = RouteCounts()
        for shard in shards.shards {
            shard.value.withLock { counts in
                for (code, count) in counts.byCode { total.byCode[code, default: 0] += count }
                total.durations.add(counts.durations)
            }
        }
        return total
    }
}
