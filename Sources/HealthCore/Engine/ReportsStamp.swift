/// What a set of checks answered without waiting, as something cheap to compare: the
/// checks' change counts when the answers were read, and until when those same answers
/// stand if nothing changes. A response rendered from the answers can be sent again
/// while ``CheckEngine/stillAnswers(_:)`` says the stamp holds, and is then byte for
/// byte what rendering the checks' answers anew would give.
///
/// ```swift
/// if engine.stillAnswers(kept.stamp) {
///     engine.countAnswers(from: kept.stamp)
///     return kept.response
/// }
/// guard let (reports, stamp) = engine.stampedReportsWithoutWaiting(for: checks) else { ... }
/// ```
public struct ReportsStamp: Sendable {
    /// The checks' slots, in order (so checking the stamp looks nothing up by name).
    let slots: [CheckSlot]
    /// The sum of their change counts, read before their answers.
    let generation: UInt64
    /// The first instant at which time alone may change an answer (a TTL or staleness
    /// bound reached).
    let validUntil: ContinuousClock.Instant

    /// The longest a stamp holds, changes or not: a bound that keeps instants far from
    /// overflow whatever a TTL says, and costs one render an hour.
    static let longestHold: Duration = .seconds(3600)
}
