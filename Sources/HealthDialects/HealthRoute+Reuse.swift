import HealthCore
public import HealthHTTP

extension HealthRoute {
    /// Whether the pipeline may answer a request with the bytes it rendered for an earlier
    /// one instead of rendering the same reports again, so a cached `/health/` costs
    /// about what `/health/ping` costs.
    ///
    /// A route may be reused when its response is a function of the selected checks'
    /// reports and of what the pipeline keeps a response by: the route, the request's
    /// query, the caller's visibility and the route's `variant` — no clock read, no
    /// counter, no other part of the request. The pipeline then sends the kept bytes
    /// while every check's answer stands (``ReportsStamp``): a new result, a timeout or a
    /// TTL running out renders anew; answers that change with the time itself (a stale
    /// result, a stuck call) are never kept. Nor is a response that withholds a failing
    /// check's reason, as rendering it also logs the reason (once a minute per check,
    /// however often probes ask).
    ///
    /// ```swift
    /// HealthRoute("/livez", access: .checks(.public), checks: liveness, reuse: .whileReportsStand()) { input in ... }
    /// ```
    public struct Reuse: Sendable {
        /// `nil`: never reused.
        let variant: (@Sendable (HTTPRequest) -> Int?)?

        /// Rendered for every request (the default).
        public static let never = Reuse(variant: nil)

        /// Reused while the reports stand, kept apart by query, visibility and
        /// `variant`: whatever else the selection or the render reads (a header, whether
        /// shutdown has begun) as a number, or `nil` for a request to be rendered afresh.
        public static func whileReportsStand(variant: @escaping @Sendable (HTTPRequest) -> Int? = { _ in 0 }) -> Reuse {
            Reuse(variant: variant)
        }
    }
}
