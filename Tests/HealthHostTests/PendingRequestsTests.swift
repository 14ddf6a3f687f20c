import HealthCore
@testable import HealthPluginLoader
import Testing

/// Which waiting thread a worker's answer goes to, and what a death tells them: the
/// correlation as a value, no process.
@Suite(.timeLimit(.minutes(1)))
struct PendingRequestsTests {
    @Test func anAnswerGoesToTheRequestItNames() {
        var pending = PendingRequests()
        let (first, firstWaiter) = pending.open(callName: "disk")
        let (second, secondWaiter) = pending.open()
        #expect(first != second)
        #expect(pending.waiter(for: .result(id: second, .pass("ok"))) === secondWaiter)
        #expect(pending.waiter(for: .infoResult(id: first, .failed("x"))) === firstWaiter)
        #expect(pending.waiter(for: .bound(id: second + 100)) == nil)
        // Messages that answer no request have no waiter.
        #expect(pending.waiter(for: .log(level: "info", message: "\(first)")) == nil)
        #expect(pending.waiter(for: .ready) == nil)
    }

    @Test func aClosedRequestGetsNoAnswer() {
        var pending = PendingRequests()
        let (id, _) = pending.open(callName: "disk")
        pending.close(id)
        #expect(pending.waiter(for: .result(id: id, .pass("late"))) == nil)
        #expect(pending.removeAll().callNames.isEmpty)
    }

    @Test func bindingsCallsAndInfosShareOneSequenceOfIDs() {
        var pending = PendingRequests()
        let binding = pending.makeID()
        let (call, _) = pending.open(callName: "a")
        let (info, _) = pending.open()
        #expect(Set([binding, call, info]).count == 3)
    }

    @Test func aDeathHandsOverEveryWaiterAndTheNamesOfTheCallsInFlight() {
        var pending = PendingRequests()
        _ = pending.open(callName: "zeta")
        _ = pending.open(callName: "alpha")
        _ = pending.open()
        let (waiters, names) = pending.removeAll()
        #expect(waiters.count == 3)
        #expect(names == ["alpha", "zeta"])
        #expect(pending.removeAll().waiters.isEmpty)
    }

    @Test func aWaiterKeepsTheFirstOutcome() {
        let waiter = ReplyWaiter()
        waiter.finish(.answer(.bound(id: 1)))
        waiter.finish(.died("too late"))
        guard case .answer(.bound(id: 1)) = waiter.wait(timeout: .zero) else {
            Issue.record("the second outcome replaced the first")
            return
        }
    }

    @Test func aWaiterWithoutAnAnswerGivesUp() {
        guard case .gaveUp = ReplyWaiter().wait(timeout: .zero) else {
            Issue.record("a waiter with nothing to wait for did not give up")
            return
        }
    }
}
