import HealthCore
import HealthHTTP
import NIOConcurrencyHelpers

/// One route's responses kept to be sent again (``HealthRoute/Reuse``): one per query,
/// visibility and variant, each with the stamps of the reports it was rendered from, at
/// most ``capacity`` of them. Probes send the same few requests over and over; a client
/// sending a new query each time only replaces the oldest kept response, at the cost of
/// the render it would have had anyway.
final class KeptResponses: Sendable {
    /// How many responses a route keeps.
    static let capacity = 8

    /// What a kept response answers: requests with an equal key render alike.
    struct Key: Sendable {
        let query: QueryParameters
        let visibility: Visibility
        let variant: Int

        func matches(_ query: QueryParameters, _ visibility: Visibility, _ variant: Int) -> Bool {
            self.variant == variant && self.visibility == visibility && self.query == query
        }
    }

    /// A response with its reports and their stamps (one per batch), sent again while
    /// every stamp holds.
    private final class Kept: Sendable {
        let key: Key
        let answered: RoutePipeline.Answered
        let stamps: [ReportsStamp]

        init(key: Key, answered: RoutePipeline.Answered, stamps: [ReportsStamp]) {
            self.key = key
            self.answered = answered
            self.stamps = stamps
        }
    }

    private struct Ring {
        var entries: [Kept] = []
        /// Where the next new key goes once the ring is full.
        var next = 0
    }

    private let ring = NIOLockedValueBox(Ring())

    /// The kept answer for the key, if its checks still answer what it was rendered
    /// from; their cache hits are then counted, as the request is answered from them.
    func answer(query: QueryParameters, visibility: Visibility, variant: Int) -> RoutePipeline.Answered? {
        let found = ring.withLockedValue { ring in
            ring.entries.first { $0.key.matches(query, visibility, variant) }
        }
        guard let found else { return nil }
        let batches = found.answered.batches
        for (batch, stamp) in zip(batches, found.stamps) where !batch.engine.stillAnswers(stamp) { return nil }
        for (batch, stamp) in zip(batches, found.stamps) { batch.engine.countAnswers(from: stamp) }
        return found.answered
    }

    /// Keeps `answered` for `key`, in place of what was kept for it or of the oldest.
    func keep(_ answered: RoutePipeline.Answered, stamps: [ReportsStamp], for key: Key) {
        let kept = Kept(key: key, answered: answered, stamps: stamps)
        ring.withLockedValue { ring in
            if let index = ring.entries.firstIndex(where: { $0.key.matches(key.query, key.visibility, key.variant) }) {
                ring.entries[index] = kept
            } else if ring.entries.count < Self.capacity {
                ring.entries.append(kept)
            } else {
                ring.entries[ring.next] = kept
                ring.next = (ring.next + 1) % Self.capacity
            }
        }
    }
}
