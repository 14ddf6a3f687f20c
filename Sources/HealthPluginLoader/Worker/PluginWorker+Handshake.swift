import HealthCore
import Logging
import NIOConcurrencyHelpers

/// Starting a worker: spawn it, wait for its `hello`, send `init` and wait for `ready`.
/// Runs on the calling thread (the loader's, or the engine's for a restart); every wait
/// is bounded.
extension PluginWorker {
    /// Spawns a new worker process and waits for its `hello`: what the plugin file is.
    func spawnAndGreet() throws(PluginLoadError) -> (WorkerProcess, WireDescriptor, sha256: String) {
        let generation = state.withLockedValue { state -> Int in
            state.generation += 1
            return state.generation
        }
        let running = try WorkerProcess.launch(
            path: path, policy: policy, generation: generation, output: output, logger: logger)
        // Starting the process and loading the file is not `init`: it gets at least 10 s.
        let startBound = max(policy.initTimeout, .seconds(10))
        switch receiveSkippingLogs(running.socket, within: startBound) {
        case .message(.hello(let descriptor, let sha256)):
            return (running, descriptor, sha256)
        case .message(.loadFailed(let code, let message)):
            _ = running.reap(killing: false)
            throw PluginLoadError(PluginLoadError.Code(named: code) ?? .workerFailed, path: path, message)
        case .message(let message):
            running.kill()
            throw PluginLoadError(.workerFailed, path: path, "the worker sent '\(message.type)' where 'hello' belongs")
        case .invalid(.versionMismatch(let received, let expected)):
            running.kill()
            throw PluginLoadError(
                .workerFailed, path: path,
                "the worker \(policy.workerExecutable) speaks worker protocol version \(received), this host version "
                    + "\(expected): the worker binary is not this host's build (isolation.worker_executable, or an upgrade "
                    + "replaced the binary under a running host)")
        case .invalid(let error):
            running.kill()
            throw PluginLoadError(.workerFailed, path: path, "the worker sent \(error)")
        case .closed:
            let death = running.reap(killing: false)
            output.waitForEnd(timeout: .milliseconds(200))
            throw PluginLoadError(.workerFailed, path: path, "the worker died while loading the plugin: \(death)\(output.tailSuffix)")
        case nil:
            running.kill()
            throw PluginLoadError(
                .workerFailed, path: path,
                "loading did not finish within \(startBound.humanReadable); the worker was killed\(output.tailSuffix)")
        }
    }

    /// Sends `init` with `settings` and waits for `ready`.
    func sendInit(to running: WorkerProcess, settings: PluginSettings) throws(PluginLoadError) {
        guard running.socket.send(HostMessage.initialize(settingsJSON: settings.json, scalars: settings.scalars)) else {
            let death = running.reap(killing: true)
            throw PluginLoadError(.workerFailed, path: path, "the worker died before init: \(death)\(output.tailSuffix)")
        }
        logger.debug("waiting for the plugin's init in its worker", metadata: ["worker.pid": "\(running.pid)"])
        switch receiveSkippingLogs(running.socket, within: policy.initTimeout) {
        case .message(.ready):
            return
        case .message(.loadFailed(let code, let message)):
            _ = running.reap(killing: false)
            throw PluginLoadError(PluginLoadError.Code(named: code) ?? .initFailed, path: path, message)
        case .message, .invalid:
            running.kill()
            throw PluginLoadError(.workerFailed, path: path, "the worker answered init with something other than ready")
        case .closed:
            let death = running.reap(killing: false)
            output.waitForEnd(timeout: .milliseconds(200))
            throw PluginLoadError(.initFailed, path: path, "init crashed the worker: \(death)\(output.tailSuffix)")
        case nil:
            running.kill()
            throw PluginLoadError(
                .initFailed, path: path,
                "init did not return within \(policy.initTimeout.humanReadable); the worker was killed\(output.tailSuffix)")
        }
    }

    /// Sends every binding again to a restarted worker, in the order they were made.
    func replayBindings(to running: WorkerProcess) throws(PluginLoadError) {
        let bindings = state.withLockedValue { $0.bindings }.sorted { $0.key < $1.key }
        for (id, binding) in bindings {
            guard running.socket.send(binding.message(id: id)),
                case .message(.bound)? = receiveSkippingLogs(running.socket, within: policy.initTimeout)
            else {
                running.kill()
                throw PluginLoadError(.workerFailed, path: path, "the restarted worker refused check '\(binding.check)'")
            }
        }
    }

    /// The next message that is not a `log` line (those are logged), within `timeout`:
    /// before a reader thread owns the socket.
    func receiveSkippingLogs(_ socket: FrameSocket, within timeout: Duration) -> FrameSocket.Received<WorkerMessage>? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, let received = socket.receive(WorkerMessage.self, within: remaining) else { return nil }
            if case .message(let message) = received, case .log = message {
                handle(message)
                continue
            }
            return received
        }
    }
}
