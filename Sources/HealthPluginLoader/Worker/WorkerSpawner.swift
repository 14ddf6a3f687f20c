import Dispatch
import HealthCore
import HealthPOSIX
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The one thread that starts workers. A worker asks for SIGKILL when its parent dies
/// (`PR_SET_PDEATHSIG`), and the kernel means the *thread* that forked it: a worker
/// started from a short-lived thread would be killed when that thread ends. This one
/// never ends.
final class WorkerSpawner: @unchecked Sendable {
    static let shared = WorkerSpawner()

    /// A spawn to run and the semaphore its caller waits on.
    private struct Job {
        let run: () -> Void
        let done: DispatchSemaphore
    }

    // Guarded by `lock`; jobs run one at a time on the spawner thread.
    private let lock = NIOLock()
    private var jobs: [Job] = []
    private let wakeUp = DispatchSemaphore(value: 0)

    private init() {
        DetachedThread.start(name: "hh-spawner") { [self] in
            while true {
                wakeUp.wait()
                runNextJob()?.signal()
            }
        }
    }

    /// Runs the next job and returns its semaphore. The job (and the caller's closure it
    /// holds) is released when this returns, before the semaphore lets the caller leave
    /// `withoutActuallyEscaping`: signalling from inside the job raced with that check.
    private func runNextJob() -> DispatchSemaphore? {
        guard let job = lock.withLock({ jobs.isEmpty ? nil : jobs.removeFirst() }) else { return nil }
        job.run()
        return job.done
    }

    /// Runs `spawn` on the spawner thread and waits for its (pid, error number).
    func run(_ spawn: () -> (pid_t, Int32)) -> (pid_t, Int32) {
        withoutActuallyEscaping(spawn) { spawn in
            let outcome = NIOLockedValueBox<(pid_t, Int32)>((0, EAGAIN))
            let done = DispatchSemaphore(value: 0)
            lock.withLock { jobs.append(Job(run: { outcome.withLockedValue { $0 = spawn() } }, done: done)) }
            wakeUp.signal()
            done.wait()
            return outcome.withLockedValue { $0 }
        }
    }
}
