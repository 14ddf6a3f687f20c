import HealthCore
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

extension PluginWorker {
    /// Asks the worker to call the plugin's `shutdown` and exit; kills it after `grace`.
    func shutdown(grace: Duration = .seconds(1)) {
        let running = state.withLockedValue { state -> WorkerProcess? in
            state.isShutDown = true
            return state.running
        }
        guard let running else { return }
        running.socket.send(HostMessage.shutdown)
        // One party collects the exit. A worker with a reader thread: the reader (EOF, then
        // waitpid), so wait for it to say the worker is gone; polling waitpid here as well
        // lost that race about half the time and then waited out the whole grace for a
        // process already reaped (a second per plugin at every stop), and signalled its
        // possibly reused pid. Described but never initialised (its name said in-process,
        // or it was a duplicate): no reader owns the socket, so close it and reap here.
        let hasReader = hasReader.withLockedValue { $0.contains(running.generation) }
        if !hasReader { running.socket.close() }
        var status: Int32 = 0
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if hasReader {
                if state.withLockedValue({ $0.running?.generation != running.generation }) {
                    waitForReaders()
                    return
                }
            } else {
                let result = waitpid(running.pid, &status, WNOHANG)
                if result == running.pid || (result < 0 && errno == ECHILD) { return }
            }
            usleep(2_000)
        }
        running.signalKill()
        if hasReader {
            waitForReaders()
        } else {
            while waitpid(running.pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    private func waitForReaders() {
        let deadline = ContinuousClock.now + .milliseconds(500)
        while readersRunning.withLockedValue({ $0 }) > 0 && ContinuousClock.now < deadline { usleep(1_000) }
    }
}
