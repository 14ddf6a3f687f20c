import Foundation
import HealthCore
@testable import HealthPluginLoader
import Logging
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The supervisor performing what ``WorkerSupervision`` decides, on a manual clock: a
/// worker that dies while starting is not started again until its back-off has passed
/// (the test moves time on; nothing sleeps through a back-off), and enough deaths
/// quarantine it for good. The worker is a shell script that exits at once.
@Suite(.timeLimit(.minutes(1)))
struct WorkerRestartTests {
    /// A clock that only moves when told, with no jitter.
    private final class ManualClock: Sendable {
        private let instant = NIOLockedValueBox(ContinuousClock.now)
        var workerClock: WorkerClock {
            WorkerClock(now: { self.instant.withLockedValue { $0 } }, jitter: { 1.0 })
        }
        func advance(by duration: Duration) { instant.withLockedValue { $0 += duration } }
    }

    @Test func aDeadWorkerWaitsOutItsBackOffThenIsQuarantined() throws {
        let script = try FakeWorkerScript.write("echo 'cannot start' >&2\nexit 3")
        let clock = ManualClock()
        let policy = IsolationPolicy(
            defaultIsolation: .process, bundled: .nothing, workerExecutable: script, restartDelay: .seconds(1),
            maxRestartDelay: .seconds(60), quarantineAfter: 3, quarantineWindow: .seconds(300))
        let worker = PluginWorker(path: "/nonexistent/plugin.so", policy: policy, logger: Logger(label: "test"), clock: clock.workerClock)
        defer { worker.shutdown() }
        func call() -> CheckResult { worker.call(check: "c", binding: nil, configuredName: "db", timeout: .seconds(1)) }

        let first = call()
        #expect(first.status == .fail)
        #expect(first.message.contains("exited with status 3"), "\(first.message)")
        #expect(worker.statistics.deaths == 1)

        // Within the back-off: refused without a start.
        let refused = call()
        #expect(refused.message.contains("restarting after its restart failed"), "\(refused.message)")
        #expect(refused.message.contains("next start in 1 s"), "\(refused.message)")
        #expect(worker.statistics.deaths == 1)

        // The back-off passed: started again, died again; the next back-off is twice as long.
        clock.advance(by: .seconds(1))
        _ = call()
        #expect(worker.statistics.deaths == 2)
        clock.advance(by: .seconds(1))
        #expect(call().message.contains("next start in 1 s"))
        #expect(worker.statistics.deaths == 2)

        // The third death in the window quarantines it; no time lifts that.
        clock.advance(by: .seconds(1))
        let quarantined = call()
        #expect(quarantined.message.hasPrefix("quarantined: the plugin's worker died 3 times"), "\(quarantined.message)")
        #expect(worker.statistics.isQuarantined)
        clock.advance(by: .seconds(3600))
        #expect(call().message.hasPrefix("quarantined:"))
        #expect(worker.statistics.deaths == 3)
    }
}
