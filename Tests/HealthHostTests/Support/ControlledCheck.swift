import Foundation
import HealthCore

/// A check the test drives in process, in place of a C plugin that sleeps: it counts its
/// calls and how many of them run at once, passes or fails as the test sets, and holds
/// its calls (none, the first, or every one) until the test opens it. A held call stands
/// for a slow or hung plugin call without a sleep: the test decides when it returns.
final class ControlledCheck: @unchecked Sendable {
    /// Which calls wait for ``open()``: none, the first, every one, or every one but
    /// the first (a check that answers once and then hangs).
    enum Hold { case none, first, every, afterFirst }

    let name: String
    private let hold: Hold
    // Guards every variable below; `broadcast` after each change.
    private let condition = NSCondition()
    private var calls = 0
    private var active = 0
    private var mostActive = 0
    private var isOpen = false
    private var failing = false

    /// A check called `name` holding the calls `hold` names.
    init(_ name: String, holding hold: Hold = .none) {
        self.name = name
        self.hold = hold
    }

    /// The engine's view of it: registered as `registeredName` (by default ``name``) with
    /// these policies. Registered under two names, both share its counters.
    func registered(
        as registeredName: String? = nil, timeout: Duration = .seconds(5), refresh: RefreshPolicy = .alwaysFresh,
        serializationKey: String? = nil, isDefault: Bool = true
    ) -> RegisteredCheck {
        let implementation = ClosureCheck(source: "test.\(name)", serializationKey: serializationKey) { [self] _ in call() }
        return RegisteredCheck(
            name: registeredName ?? name, implementation: implementation, isDefault: isDefault, timeout: timeout,
            refresh: refresh)
    }

    /// Lets every held call return, and every later one run through.
    func open() { locked { isOpen = true } }

    /// Whether later calls fail (`fail("call N")`) or pass (`pass("call N")`).
    func setFailing(_ value: Bool) { locked { failing = value } }

    /// Calls so far (started, returned or not).
    var callCount: Int { locked { calls } }
    /// Calls running right now.
    var activeCount: Int { locked { active } }
    /// The most calls that ever ran at once.
    var mostActiveAtOnce: Int { locked { mostActive } }

    /// Runs on an engine worker thread. A held call waits at most a minute, so a test that
    /// forgets to open the check cannot keep a thread for ever.
    private func call() -> CheckResult {
        condition.lock()
        defer {
            active -= 1
            condition.broadcast()
            condition.unlock()
        }
        calls += 1
        let number = calls
        active += 1
        mostActive = max(mostActive, active)
        condition.broadcast()
        let held: Bool
        switch hold {
        case .none: held = false
        case .first: held = number == 1
        case .every: held = true
        case .afterFirst: held = number > 1
        }
        let giveUp = Date(timeIntervalSinceNow: 60)
        while held && !isOpen && condition.wait(until: giveUp) {}
        return failing ? .fail("call \(number)") : .pass("call \(number)")
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return body()
    }
}
