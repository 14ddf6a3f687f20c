import Dispatch
import HealthCore
import NIOConcurrencyHelpers

/// The requests sent to a worker and not yet answered: which waiting thread an answer
/// (``WorkerMessage/requestID``) goes to, and which checks were running when the worker
/// died. Pure bookkeeping, kept under the worker's lock; the threads wait outside it.
struct PendingRequests {
    /// Calls, `info`s and bindings share one sequence of ids.
    private var nextID = 1
    private var waiters: [Int: ReplyWaiter] = [:]
    /// The configured names of the calls in flight, by call id.
    private var callNames: [Int: String] = [:]

    /// A new id, for a request no thread waits on yet (a binding's, kept for replays).
    mutating func makeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    /// Registers a waiter for a new request; `callName` when it is a check call.
    mutating func open(callName: String? = nil) -> (id: Int, waiter: ReplyWaiter) {
        let id = makeID()
        return (id, open(id: id, callName: callName))
    }

    /// Registers a waiter for the request `id` (made by ``makeID()``).
    mutating func open(id: Int, callName: String? = nil) -> ReplyWaiter {
        let waiter = ReplyWaiter()
        waiters[id] = waiter
        callNames[id] = callName
        return waiter
    }

    /// Forgets the request `id` (answered, or given up on).
    mutating func close(_ id: Int) {
        waiters[id] = nil
        callNames[id] = nil
    }

    /// The waiter `message` answers, if it answers a request still pending.
    func waiter(for message: WorkerMessage) -> ReplyWaiter? {
        message.requestID.flatMap { waiters[$0] }
    }

    /// Every waiter, and the sorted names of the calls in flight; afterwards nothing is
    /// pending (the worker died: none of them will be answered).
    mutating func removeAll() -> (waiters: [ReplyWaiter], callNames: [String]) {
        defer {
            waiters = [:]
            callNames = [:]
        }
        return (Array(waiters.values), callNames.values.sorted())
    }
}

/// One request's answer, handed from the reader thread to the thread that sent it.
final class ReplyWaiter: Sendable {
    enum Outcome {
        case answer(WorkerMessage)
        case died(String)
        /// Nothing came within the wait.
        case gaveUp(String)
    }

    private let outcome = NIOLockedValueBox<Outcome?>(nil)
    private let signal = DispatchSemaphore(value: 0)

    /// Settles the outcome; only the first call counts.
    func finish(_ value: Outcome) {
        let first = outcome.withLockedValue { current -> Bool in
            guard current == nil else { return false }
            current = value
            return true
        }
        if first { signal.signal() }
    }

    /// Blocks until the outcome is settled, at most `timeout` (then it is `gaveUp`).
    func wait(timeout: Duration) -> Outcome {
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        if signal.wait(timeout: .now() + .nanoseconds(Int(clamping: nanoseconds))) == .timedOut {
            finish(.gaveUp("no answer within \(timeout.humanReadable)"))
        }
        return outcome.withLockedValue { $0 } ?? .gaveUp("no answer")
    }
}
