import HealthCore
import HealthPluginABI
import Logging
import NIOConcurrencyHelpers

/// A plugin that loaded and initialised: where it came from, what it declares, and the
/// bookkeeping that keeps `shutdown` from overlapping a running check.
public final class LoadedPlugin: Sendable {
    /// The file it was loaded from.
    public let path: String
    /// SHA-256 of the file, lowercase hex.
    public let sha256: String
    /// What the descriptor says.
    public let descriptor: PluginDescriptor
    let host: PluginHostTable
    /// The worker process that runs it, when it is isolated.
    let worker: PluginWorker?
    private let state = NIOLockedValueBox(RunState())
    /// Whether an `info` call is in progress.
    let infoGate = NIOLockedValueBox(false)

    private struct RunState {
        var running = 0
        var closed = false
    }

    init(
        path: String, sha256: String, descriptor: PluginDescriptor, host: PluginHostTable, worker: PluginWorker? = nil,
        placement: IsolationDecision? = nil
    ) {
        self.path = path
        self.sha256 = sha256
        self.descriptor = descriptor
        self.host = host
        self.worker = worker
        self.placement = placement ?? IsolationDecision(worker == nil ? .none : .process, "", isBundled: false)
    }

    /// Where the plugin runs.
    public var isolation: PluginIsolation { worker == nil ? .none : .process }

    /// Where the plugin runs and why (bundled with healthhost, third-party, or the config's
    /// `plugins.isolation` entry); the reason is empty inside a worker process.
    public let placement: IsolationDecision

    /// Its worker's deaths and restarts (isolated plugins only).
    public var workerStatistics: WorkerStatistics? { worker?.statistics }

    /// The process id of its worker, while one runs (isolated plugins only).
    public var workerProcessID: Int32? { worker?.pid }

    /// The plugin's name.
    public var name: String { descriptor.name }

    /// Checks implementations for each of the plugin's checks, by check name.
    public func implementation(of checkName: String) -> PluginCheck? {
        descriptor.checks.first { $0.name == checkName }.map { PluginCheck(plugin: self, check: $0) }
    }

    /// Marks a call as started; `false` once the plugin is shut down.
    func beginCall() -> Bool {
        state.withLockedValue { state in
            if state.closed { return false }
            state.running += 1
            return true
        }
    }

    func endCall() {
        state.withLockedValue { $0.running -= 1 }
    }

    /// Calls the plugin's `shutdown` unless a check is still running (a hung call past
    /// its timeout); no check starts afterwards.
    public func shutdown() {
        let running = state.withLockedValue { state in
            state.closed = true
            return state.running
        }
        if let worker {
            worker.shutdown()
            return
        }
        guard let hook = descriptor.hooks.shutdown else { return }
        if running > 0 {
            host.logger.warning(
                "skipping the plugin's shutdown: \(running) check call(s) still running past their timeout")
            return
        }
        hook(host.table)
    }
}
