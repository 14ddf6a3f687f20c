import CProcessSupport
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The process entry: runs the command on the concurrency pool while the main thread
/// waits, then exits.
///
/// Not an `async` main on purpose: that one ends by hopping to the main actor, which
/// dispatch's main queue runs. A Swift plugin that links Foundation (loaded with dlopen
/// after start) takes the main queue over for a CFRunLoop the host never runs, and the
/// process would never exit (seen with the bundled `system` plugin before it moved to
/// FoundationEssentials). Nothing in the host runs on the main actor.
///
/// As PID 1 it first forks: see `hh_run_init_when_pid1`.
@main
enum HealthHostMain {
    static func main() {
        // As a container's entrypoint: a minimal init stays PID 1 (reaps orphans, forwards
        // signals) and this process goes on as the host. Before any thread exists.
        if hh_run_init_when_pid1() < 0 {
            let reason = String(cString: strerror(errno))
            writeToStandardError(
                "healthhost: running as PID 1 without an init (fork failed: \(reason)): orphans are not reaped\n")
        }
        let finished = DispatchSemaphore(value: 0)
        let status = Mutex<Int32>(0)
        let arguments = Array(CommandLine.arguments.dropFirst())
        Task.detached {
            let code = await HealthHostCommand.main(arguments)
            status.withLock { $0 = code }
            finished.signal()
        }
        finished.wait()
        exit(status.withLock { $0 })
    }
}
