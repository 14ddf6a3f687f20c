import NIOConcurrencyHelpers

/// Hands one check's report to whoever asked for it; called exactly once, from a worker
/// thread, an event loop or the asking task itself.
typealias ReportDelivery = @Sendable (CheckReport) -> Void

/// Gathers the reports of one request's checks, in any order and from any thread, and
/// hands them over in request order once the last one is in.
final class ReportCollector: Sendable {
    private struct State {
        var reports: [CheckReport?]
        var missing: Int
    }

    private let state: NIOLockedValueBox<State>
    private let completion: @Sendable ([CheckReport]) -> Void

    /// Expects `count` reports (at least one); `completion` runs once, on the thread
    /// delivering the last.
    init(count: Int, completion: @escaping @Sendable ([CheckReport]) -> Void) {
        state = NIOLockedValueBox(State(reports: Array(repeating: nil, count: count), missing: count))
        self.completion = completion
    }

    /// Stores the report of the check at `index`.
    func deliver(_ report: CheckReport, at index: Int) {
        let complete = state.withLockedValue { state -> [CheckReport]? in
            guard state.reports[index] == nil else { return nil }  // delivered twice: keep the first
            state.reports[index] = report
            state.missing -= 1
            return state.missing == 0 ? state.reports.compactMap { $0 } : nil
        }
        if let complete { completion(complete) }
    }
}
