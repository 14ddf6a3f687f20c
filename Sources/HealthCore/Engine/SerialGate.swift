import NIOConcurrencyHelpers

/// Lets one piece of work through at a time, without blocking a thread: work that
/// arrives while the gate is taken is queued and started by ``leave()``.
///
/// The engine keeps one gate per ``CheckImplementation/serializationKey`` so that a
/// check that is not thread-safe is never called concurrently, even when several
/// configured checks share it, and waiting calls hold no thread.
final class SerialGate: Sendable {
    private struct State {
        var isTaken = false
        var queue: [@Sendable () -> Void] = []
    }

    private let state = NIOLockedValueBox(State())

    /// Runs `work` now if the gate is free, else when the work before it has left.
    /// `work` must call ``leave()`` exactly once, when it is done.
    func enter(_ work: @escaping @Sendable () -> Void) {
        let runsNow = state.withLockedValue { state in
            if state.isTaken {
                state.queue.append(work)
                return false
            }
            state.isTaken = true
            return true
        }
        if runsNow { work() }
    }

    /// Frees the gate, or hands it to the next queued work.
    func leave() {
        let next: (@Sendable () -> Void)? = state.withLockedValue { state in
            if state.queue.isEmpty {
                state.isTaken = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?()
    }
}
