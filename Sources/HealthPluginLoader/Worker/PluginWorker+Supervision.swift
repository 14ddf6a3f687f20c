import HealthCore
import Logging
import NIOConcurrencyHelpers

/// Deaths and restarts: the rules are ``WorkerSupervision``'s (a value under the worker's
/// lock, given the instant and the jitter from ``PluginWorker/clock``); this performs
/// what it decides.
extension PluginWorker {
    /// Why a call was not sent to a worker.
    struct Refusal: Error {
        let message: String
    }

    /// The running worker, starting it again when it died and its back-off has passed.
    func ensureRunning() -> Result<WorkerProcess, Refusal> {
        if let running = state.withLockedValue({ $0.running }) { return .success(running) }
        return startLock.withLock {
            let now = clock.now()
            let situation = state.withLockedValue { state -> Result<WorkerProcess?, Refusal> in
                if let running = state.running { return .success(running) }
                if state.isShutDown { return .failure(Refusal(message: "not run: the plugin has been shut down")) }
                switch state.supervision.mayStart(at: now) {
                case .refuse(let message): return .failure(Refusal(message: message))
                case .start: return .success(nil)
                }
            }
            switch situation {
            case .failure(let refusal): return .failure(refusal)
            case .success(.some(let running)): return .success(running)
            case .success(.none): break
            }
            do throws(PluginLoadError) {
                let (running, _, _) = try spawnAndGreet()
                let settings = state.withLockedValue { $0.settings }
                try sendInit(to: running, settings: settings)
                try replayBindings(to: running)
                state.withLockedValue { state in
                    state.running = running
                    state.statistics.restarts += 1
                }
                startReader(for: running)
                logger.notice("plugin worker restarted", metadata: ["worker.pid": "\(running.pid)"])
                return .success(running)
            } catch {
                let message = recordDeath("its restart failed: \(error.message)")
                return .failure(Refusal(message: message))
            }
        }
    }

    /// The reader saw EOF: reaps the worker, fails every request in flight with what
    /// happened (and its last output lines), and counts the death.
    func workerDied(_ running: WorkerProcess) {
        let death = running.reap(killing: false)
        output.waitForEnd(timeout: .milliseconds(200))
        let (pending, killReason, shutDown) = state.withLockedValue { state in
            defer {
                state.killReason = nil
                if state.running?.generation == running.generation { state.running = nil }
            }
            return (state.pending.removeAll(), state.killReason, state.isShutDown)
        }
        if shutDown { return }
        let names = pending.callNames
        let during = names.isEmpty ? "" : " while running \(names.map { "'\($0)'" }.joined(separator: ", "))"
        let cause = killReason ?? "plugin \(death)\(during)"
        _ = recordDeath(cause)
        logger.error("plugin worker died: \(cause)\(output.tailSuffix)", metadata: ["worker.pid": "\(running.pid)"])
        for waiter in pending.waiters { waiter.finish(.died("\(cause)\(output.tailSuffix)")) }
    }

    /// Counts a death, sets the back-off or the quarantine; returns what calls are told.
    func recordDeath(_ cause: String) -> String {
        let now = clock.now()
        let jitter = clock.jitter()
        let verdict = state.withLockedValue { state in
            let verdict = state.supervision.recordDeath(cause, at: now, jitter: jitter)
            state.statistics.deaths = state.supervision.deathCount
            state.statistics.isQuarantined = state.supervision.quarantine != nil
            return verdict
        }
        switch verdict {
        case .quarantined(let message, let isNew):
            if isNew { logger.error("\(message)") }
            return message
        case .restart:
            return cause
        }
    }
}
