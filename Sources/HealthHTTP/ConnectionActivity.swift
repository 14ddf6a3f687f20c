import NIOCore
import Synchronization

/// What one connection is doing, published by its handler (on the connection's event
/// loop) for the ``ConnectionGate`` (on the listener's loop), which reads it only when
/// the cap is reached, to pick a connection that can make room. One atomic word, so the
/// handler's hot path takes no lock.
final class ConnectionActivity: Sendable {
    /// The phase in the top two bits, the time in the rest (uptime nanoseconds).
    private let word: Atomic<UInt64>

    /// A connection just accepted, waiting for its first request since `since`.
    init(acceptedAt since: NIODeadline) {
        word = Atomic(Self.encode(.waitingForFirstRequest(since: since)))
    }

    /// The activity last published.
    var current: HTTPConnectionStateMachine.Activity { Self.decode(word.load(ordering: .relaxed)) }

    /// Publishes `activity`.
    func publish(_ activity: HTTPConnectionStateMachine.Activity) {
        word.store(Self.encode(activity), ordering: .relaxed)
    }

    private static let timeMask: UInt64 = (1 << 62) - 1

    private static func encode(_ activity: HTTPConnectionStateMachine.Activity) -> UInt64 {
        switch activity {
        case .busy: 0
        case .waitingForFirstRequest(let since): 1 << 62 | since.uptimeNanoseconds & timeMask
        case .readingHead(let since): 2 << 62 | since.uptimeNanoseconds & timeMask
        case .idle(let since): 3 << 62 | since.uptimeNanoseconds & timeMask
        }
    }

    private static func decode(_ word: UInt64) -> HTTPConnectionStateMachine.Activity {
        let since = NIODeadline.uptimeNanoseconds(word & timeMask)
        switch word >> 62 {
        case 1: return .waitingForFirstRequest(since: since)
        case 2: return .readingHead(since: since)
        case 3: return .idle(since: since)
        default: return .busy
        }
    }
}
