import Testing

@testable import HealthOTLP

/// Which failed exports are sent again, and after how long: OTLP/HTTP's transient answers,
/// an exponential back-off with jitter up to its ceiling, or the collector's `Retry-After`.
@Suite(.timeLimit(.minutes(2))) struct ExportRetryPolicyTests {
    private let policy = ExportRetryPolicy()

    @Test func onlyOTLPsTransientAnswersAreTriedAgain() {
        #expect([429, 502, 503, 504].allSatisfy(ExportRetryPolicy.isTransient(status:)))
        #expect(![200, 400, 401, 403, 404, 413, 415, 500, 501, 505].contains(where: ExportRetryPolicy.isTransient(status:)))
    }

    @Test func theBackOffDoublesUpToItsCeilingAndJitterTakesUpToHalfOff() {
        let waits = (1...8).map { policy.delay(after: $0, retryAfter: nil, jitter: 1) }
        #expect(waits == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5), .seconds(5)])
        #expect(policy.delay(after: 3, retryAfter: nil, jitter: 0.5) == .milliseconds(500))
        // Jitter outside 0.5...1 is held to it; an attempt past any sensible count stays at the ceiling.
        #expect(policy.delay(after: 1, retryAfter: nil, jitter: 0) == .milliseconds(125))
        #expect(policy.delay(after: 1, retryAfter: nil, jitter: 7) == .milliseconds(250))
        #expect(policy.delay(after: 10_000, retryAfter: nil, jitter: 1) == .seconds(5))
    }

    @Test func retryAfterInSecondsIsWaitedForAndAnythingElseIsTheBackOff() {
        #expect(policy.delay(after: 1, retryAfter: "3", jitter: 1) == .seconds(3))
        #expect(policy.delay(after: 4, retryAfter: " 0 ", jitter: 1) == .zero)
        // An HTTP date, a negative or a nonsense value: the back-off, as with no header.
        for value in ["Wed, 21 Oct 2026 07:28:00 GMT", "-1", "soon", ""] {
            #expect(policy.delay(after: 2, retryAfter: value, jitter: 1) == .milliseconds(500), "\(value)")
        }
    }
}
