@testable import HealthPluginLoader
import Testing

/// The restart back-off and quarantine of an isolated plugin's worker, as values: the
/// test says when each death happened and what the jitter was, instead of crashing
/// workers and sleeping through their back-off (IsolationTests does that end to end).
@Suite(.timeLimit(.minutes(1)))
struct WorkerSupervisionTests {
    private let start = ContinuousClock.now
    private let policy = IsolationPolicy(
        defaultIsolation: .process, restartDelay: .seconds(1), maxRestartDelay: .seconds(8), quarantineAfter: 5,
        quarantineWindow: .seconds(300))

    @Test func aDeathDelaysTheNextStartByTheBaseDelayTimesTheJitter() {
        var supervision = WorkerSupervision(policy: policy)
        #expect(supervision.mayStart(at: start) == .start)
        let verdict = supervision.recordDeath("plugin crashed: signal 11 (SIGSEGV)", at: start, jitter: 1.2)
        #expect(verdict == .restart(notBefore: start + .milliseconds(1200)))
        guard case .refuse(let message) = supervision.mayStart(at: start + .milliseconds(200)) else {
            Issue.record("a start within the back-off was allowed")
            return
        }
        #expect(message.contains("restarting after plugin crashed: signal 11 (SIGSEGV)"), "\(message)")
        #expect(message.contains("next start in 1 s"), "\(message)")
        #expect(supervision.mayStart(at: start + .milliseconds(1200)) == .start)
        #expect(supervision.deathCount == 1)
    }

    @Test func theBackOffDoublesPerDeathInTheWindowUpToTheMaximum() {
        var supervision = WorkerSupervision(policy: WorkerSupervisionTests.policy(quarantineAfter: 10))
        var now = start
        var delays: [Duration] = []
        for _ in 0..<6 {
            guard case .restart(let notBefore) = supervision.recordDeath("exited", at: now, jitter: 1.0) else {
                Issue.record("quarantined early")
                return
            }
            delays.append(notBefore - now)
            now = notBefore
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
    }

    @Test func deathsOlderThanTheWindowNoLongerCount() {
        var supervision = WorkerSupervision(policy: policy)
        var now = start
        for _ in 0..<8 {
            // Each death 301 s after the last: never two in one window.
            #expect(supervision.recordDeath("exited", at: now, jitter: 1.0) == .restart(notBefore: now + .seconds(1)))
            now = now + .seconds(301)
        }
        #expect(supervision.quarantine == nil)
        #expect(supervision.deathCount == 8)
    }

    @Test func enoughDeathsInTheWindowQuarantineOnceAndForAll() {
        var supervision = WorkerSupervision(policy: policy)
        var verdicts: [WorkerSupervision.Verdict] = []
        for second in 0..<6 {
            verdicts.append(supervision.recordDeath("exited with status 3", at: start + .seconds(second * 10), jitter: 1.0))
        }
        #expect(verdicts.prefix(4).allSatisfy { if case .restart = $0 { true } else { false } })
        guard case .quarantined(let message, isNew: true) = verdicts[4], case .quarantined(_, isNew: false) = verdicts[5] else {
            Issue.record("not quarantined at the fifth death: \(verdicts)")
            return
        }
        #expect(
            message == "quarantined: the plugin's worker died 5 times in 40 s (last: exited with status 3); fix the plugin and restart healthhost")
        // No start however long one waits.
        #expect(supervision.mayStart(at: start + .seconds(86_400)) == .refuse(supervision.quarantine ?? ""))
        #expect(supervision.quarantine?.contains("6 times") == true)
    }

    private static func policy(quarantineAfter: Int) -> IsolationPolicy {
        IsolationPolicy(
            defaultIsolation: .process, restartDelay: .seconds(1), maxRestartDelay: .seconds(8), quarantineAfter: quarantineAfter,
            quarantineWindow: .seconds(300))
    }
}
