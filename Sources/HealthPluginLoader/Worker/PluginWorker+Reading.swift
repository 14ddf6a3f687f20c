import HealthCore
import HealthPOSIX
import Logging
import NIOConcurrencyHelpers

/// The reader thread of an initialised worker: hands each answer to the thread waiting
/// for it, logs what the plugin logs, and notices the worker's death at EOF. A thread of
/// its own (a blocking `recv`), never an event loop or the concurrency pool.
extension PluginWorker {
    func startReader(for running: WorkerProcess) {
        hasReader.withLockedValue { _ = $0.insert(running.generation) }
        readersRunning.withLockedValue { $0 += 1 }
        DetachedThread.start(name: "hh-worker-read") { [self] in self.read(running) }
    }

    private func read(_ running: WorkerProcess) {
        while true {
            switch running.socket.receive(WorkerMessage.self) {
            case .message(let message):
                handle(message)
            case .invalid(let what):
                logger.error("the worker sent \(what); killing it", metadata: ["worker.pid": "\(running.pid)"])
                running.signalKill()
            case .closed:
                workerDied(running)
                readersRunning.withLockedValue { $0 -= 1 }
                return
            }
        }
    }

    /// Logs a `log` line; hands an answer to its waiter (an answer nobody waits for any
    /// more, past its timeout, is dropped).
    func handle(_ message: WorkerMessage) {
        switch message {
        case .log(let level, let message):
            switch level {
            case "debug": logger.debug("\(message)")
            case "info": logger.info("\(message)")
            case "notice": logger.notice("\(message)")
            case "warning": logger.warning("\(message)")
            default: logger.error("\(message)")
            }
        default:
            state.withLockedValue { $0.pending.waiter(for: message) }?.finish(.answer(message))
        }
    }
}
