import HealthCore
import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The host's side of one isolated plugin: starts its worker process, sends it calls,
/// and notices at once when it dies (EOF on the socket, then `waitpid`) or hangs (a call
/// past its timeout gets the worker killed). Calls in flight then fail with what
/// happened and the worker's last output lines; the worker is restarted on the next
/// call after a back-off that doubles per death; too many deaths quarantine the plugin.
///
/// The parts, one concern a file: ``WorkerProcess`` (spawn, signal, reap),
/// ``FrameSocket`` and ``HostMessage``/``WorkerMessage`` (the protocol),
/// ``PendingRequests`` (which answer goes to which waiting thread), `+Handshake`
/// (`hello`, `init`), `+Reading` (the reader thread), `+Supervision` (deaths and
/// restarts, decided by ``WorkerSupervision``), `+Shutdown`.
///
/// Every method blocks; the engine calls them on its worker threads, never on an event
/// loop or the concurrency pool.
final class PluginWorker: Sendable {
    let path: String
    let policy: IsolationPolicy
    let logger: Logger
    let state: NIOLockedValueBox<State>
    /// Serializes starts: one thread (re)starts the worker, the others wait for it.
    let startLock = NIOLock()
    let output = OutputTail()
    /// The time and jitter ``WorkerSupervision`` decides with.
    let clock: WorkerClock
    /// The generations whose socket a reader thread owns (and closes).
    let hasReader = NIOLockedValueBox<Set<Int>>([])
    /// Reader threads still running: shutdown waits for them, so none is left working
    /// (logging, reaping) while the process exits.
    let readersRunning = NIOLockedValueBox(0)

    /// A check and its arguments, kept to replay to every restarted worker.
    struct Binding {
        let check: String
        let values: [ParameterValue]

        func message(id: Int) -> HostMessage {
            .bind(id: id, check: check, values: values.map { WireValue(kind: $0.kind.rawValue, text: $0.text) })
        }
    }

    struct State {
        var running: WorkerProcess?
        var generation = 0
        var settings = PluginSettings()
        var bindings: [Int: Binding] = [:]
        var pending = PendingRequests()
        var supervision: WorkerSupervision
        var statistics = WorkerStatistics()
        var killReason: String?
        var isShutDown = false
    }

    init(path: String, policy: IsolationPolicy, logger: Logger, clock: WorkerClock = .system) {
        self.path = path
        self.policy = policy
        self.clock = clock
        self.state = NIOLockedValueBox(State(supervision: WorkerSupervision(policy: policy)))
        var logger = logger
        logger[metadataKey: "plugin.path"] = "\(path)"
        self.logger = logger
    }

    /// Deaths, restarts and quarantine so far.
    var statistics: WorkerStatistics { state.withLockedValue { $0.statistics } }

    /// The worker's process id, while one runs.
    var pid: pid_t? { state.withLockedValue { $0.running?.pid } }

    // MARK: Start

    /// Starts the worker and returns what it says the plugin is, before `init`.
    func describe() throws(PluginLoadError) -> (descriptor: PluginDescriptor, sha256: String) {
        let (running, wire, sha256) = try spawnAndGreet()
        guard let descriptor = wire.decoded() else {
            running.kill()
            throw PluginLoadError(.workerFailed, path: path, "the worker sent a hello without a valid descriptor")
        }
        state.withLockedValue { $0.running = running }
        return (descriptor, sha256)
    }

    /// Sends `init` with `settings` and waits for `ready`; then the worker serves calls.
    func initialize(settings: PluginSettings) throws(PluginLoadError) {
        guard
            let running = state.withLockedValue({ state -> WorkerProcess? in
                state.settings = settings
                return state.running
            })
        else {
            throw PluginLoadError(.workerFailed, path: path, "the worker is not running")
        }
        do throws(PluginLoadError) {
            try sendInit(to: running, settings: settings)
        } catch {
            state.withLockedValue { $0.running = nil }
            throw error
        }
        startReader(for: running)
    }

    // MARK: Requests

    /// Registers a check with its arguments for calls; replayed after every restart.
    func bind(check: String, values: [ParameterValue]) throws(PluginLoadError) -> Int {
        let binding = Binding(check: check, values: values)
        let (id, waiter, running) = state.withLockedValue { state -> (Int, ReplyWaiter?, WorkerProcess?) in
            let id = state.pending.makeID()
            state.bindings[id] = binding
            return (id, state.running.map { _ in state.pending.open(id: id) }, state.running)
        }
        guard let running, let waiter else { return id }
        defer { state.withLockedValue { $0.pending.close(id) } }
        guard running.socket.send(binding.message(id: id)) else {
            throw PluginLoadError(.workerFailed, path: path, "the worker is gone")
        }
        switch waiter.wait(timeout: policy.initTimeout) {
        case .answer(.bound):
            return id
        case .answer(.bindFailed(_, let code, let message)):
            throw PluginLoadError(code.flatMap(PluginLoadError.Code.init(named:)) ?? .invalidDescriptor, path: path, message)
        case .answer(let other):
            throw PluginLoadError(.workerFailed, path: path, "check '\(check)': the worker answered bind with '\(other.type)'")
        case .died(let reason), .gaveUp(let reason):
            throw PluginLoadError(.workerFailed, path: path, "check '\(check)': \(reason)")
        }
    }

    /// Runs one check call in the worker; never blocks past the timeout plus the grace.
    func call(check: String, binding: Int?, configuredName: String, timeout: Duration) -> CheckResult {
        let running: WorkerProcess
        switch ensureRunning() {
        case .success(let value): running = value
        case .failure(let refusal): return .fail(refusal.message)
        }
        let (id, waiter) = state.withLockedValue { $0.pending.open(callName: configuredName) }
        let request = CallRequest(id: id, check: check, binding: binding, configuredName: configuredName, timeout: timeout)
        if !running.socket.send(HostMessage.call(request)) {
            // The reader notices the death and answers the waiter.
            logger.debug("could not send a call to the worker", metadata: ["worker.pid": "\(running.pid)"])
        }
        let outcome = waiter.wait(timeout: timeout + policy.hangGrace)
        state.withLockedValue { $0.pending.close(id) }
        switch outcome {
        case .answer(.result(_, let result)):
            return result
        case .answer(let other):
            return .fail("the worker answered a call with '\(other.type)'")
        case .died(let reason):
            return .fail(reason)
        case .gaveUp:
            let reason = "worker restarted after a call hung past \(timeout.humanReadable) while running '\(configuredName)'"
            state.withLockedValue { $0.killReason = reason }
            logger.warning("\(reason); killing it", metadata: ["worker.pid": "\(running.pid)"])
            Glibc.kill(-running.pid, SIGKILL)
            return .fail(reason)
        }
    }

    /// Calls the plugin's `info` in the worker.
    func readInfo(timeout: Duration) -> PluginInfo {
        let running: WorkerProcess
        switch ensureRunning() {
        case .success(let value): running = value
        case .failure(let refusal): return .failed(refusal.message)
        }
        let (id, waiter) = state.withLockedValue { $0.pending.open() }
        running.socket.send(HostMessage.info(id: id))
        let outcome = waiter.wait(timeout: timeout)
        state.withLockedValue { $0.pending.close(id) }
        switch outcome {
        case .answer(.infoResult(_, .entries(let entries))): return .entries(entries.map { ($0.key, $0.value) })
        case .answer(.infoResult(_, .failed(let reason))): return .failed(reason)
        case .answer(let other): return .failed("the worker answered info with '\(other.type)'")
        case .died(let reason): return .failed(reason)
        case .gaveUp: return .failed("the plugin's info did not answer within \(timeout.humanReadable)")
        }
    }
}
