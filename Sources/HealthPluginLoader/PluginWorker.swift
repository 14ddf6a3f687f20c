import CProcessSupport
import Dispatch
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
/// Every method blocks; the engine calls them on its worker threads, never on an event
/// loop.
final class PluginWorker: Sendable {
    let path: String
    private let policy: IsolationPolicy
    private let logger: Logger
    private let state: NIOLockedValueBox<State>
    /// Serializes starts: one thread (re)starts the worker, the others wait for it.
    private let startLock = NIOLock()
    private let output = OutputTail()

    /// What the running worker is.
    private struct Running {
        let pid: pid_t
        let socket: FrameSocket
        let generation: Int
    }

    private struct Binding {
        let check: String
        let values: [ParameterValue]
    }

    private struct State {
        var running: Running?
        var generation = 0
        var settings = PluginSettings()
        var bindings: [Int: Binding] = [:]
        var nextID = 1
        var pending: [Int: Waiter] = [:]
        /// The configured names of the calls in flight, by call id.
        var runningNames: [Int: String] = [:]
        var supervision: WorkerSupervision
        var statistics = WorkerStatistics()
        var killReason: String?
        var isShutDown = false
    }

    init(path: String, policy: IsolationPolicy, logger: Logger) {
        self.path = path
        self.policy = policy
        self.state = NIOLockedValueBox(State(supervision: WorkerSupervision(policy: policy)))
        var logger = logger
        logger[metadataKey: "plugin.path"] = "\(path)"
        self.logger = logger
    }

    /// Deaths, restarts and quarantine so far.
    var statistics: WorkerStatistics { state.withLockedValue { $0.statistics } }

    // MARK: Start

    /// Starts the worker and returns what it says the plugin is, before `init`.
    func describe() throws(PluginLoadError) -> (descriptor: PluginDescriptor, sha256: String) {
        let (running, hello) = try spawnAndGreet()
        guard let wire = hello.descriptor, let descriptor = wire.decoded() else {
            kill(running)
            throw PluginLoadError(.workerFailed, path: path, "the worker sent a hello without a valid descriptor")
        }
        state.withLockedValue { $0.running = running }
        return (descriptor, hello.sha256 ?? "unreadable")
    }

    /// Sends `init` with `settings` and waits for `ready`; then the worker serves calls.
    func initialize(settings: PluginSettings) throws(PluginLoadError) {
        guard let running = state.withLockedValue({ state -> Running? in
            state.settings = settings
            return state.running
        }) else {
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

    private func spawnAndGreet() throws(PluginLoadError) -> (Running, WorkerFrame) {
        let generation = state.withLockedValue { state -> Int in
            state.generation += 1
            return state.generation
        }
        guard let (hostEnd, workerEnd) = FrameSocket.pair() else {
            throw PluginLoadError(.workerFailed, path: path, "socketpair failed: \(String(cString: strerror(errno)))")
        }
        var pipeDescriptors: [Int32] = [-1, -1]
        guard hh_pipe_cloexec(&pipeDescriptors) == 0 else {
            hostEnd.close()
            workerEnd.close()
            throw PluginLoadError(.workerFailed, path: path, "pipe failed: \(String(cString: strerror(errno)))")
        }
        let pid: pid_t
        do throws(PluginLoadError) {
            pid = try spawn(socket: workerEnd.descriptor, output: pipeDescriptors[1])
        } catch {
            hostEnd.close()
            workerEnd.close()
            Glibc.close(pipeDescriptors[0])
            Glibc.close(pipeDescriptors[1])
            throw error
        }
        workerEnd.close()
        Glibc.close(pipeDescriptors[1])
        output.startReading(pipeDescriptors[0], logger: logger)
        let running = Running(pid: pid, socket: hostEnd, generation: generation)
        // Starting the process and loading the file is not `init`: it gets at least 10 s.
        let startBound = max(policy.initTimeout, .seconds(10))
        switch receiveSkippingLogs(hostEnd, within: startBound) {
        case .frame(let frame) where frame.type == "hello" && frame.version == WorkerFrame.version:
            return (running, frame)
        case .frame(let frame) where frame.type == "load_failed":
            _ = reap(running, killing: false)
            let code = frame.code.flatMap(PluginLoadError.Code.init(named:)) ?? .workerFailed
            throw PluginLoadError(code, path: path, frame.message ?? "the worker could not load the plugin")
        case .frame(let frame):
            kill(running)
            throw PluginLoadError(
                .workerFailed, path: path, "the worker spoke another protocol (\(frame.type), version \(frame.version ?? 0))")
        case .invalid(let what):
            kill(running)
            throw PluginLoadError(.workerFailed, path: path, "the worker sent \(what)")
        case .closed:
            let death = reap(running, killing: false)
            output.waitForEnd(timeout: .milliseconds(200))
            throw PluginLoadError(.workerFailed, path: path, "the worker died while loading the plugin: \(death)\(output.tailSuffix)")
        case nil:
            kill(running)
            throw PluginLoadError(
                .workerFailed, path: path,
                "loading did not finish within \(startBound.humanReadable); the worker was killed\(output.tailSuffix)")
        }
    }

    private func sendInit(to running: Running, settings: PluginSettings) throws(PluginLoadError) {
        var frame = WorkerFrame(type: "init")
        frame.version = WorkerFrame.version
        frame.settingsJSON = settings.json
        frame.scalars = settings.scalars
        guard running.socket.send(frame) else {
            let death = reap(running, killing: true)
            throw PluginLoadError(.workerFailed, path: path, "the worker died before init: \(death)\(output.tailSuffix)")
        }
        logger.debug("waiting for the plugin's init in its worker", metadata: ["worker.pid": "\(running.pid)"])
        switch receiveSkippingLogs(running.socket, within: policy.initTimeout) {
        case .frame(let frame) where frame.type == "ready":
            return
        case .frame(let frame) where frame.type == "load_failed":
            _ = reap(running, killing: false)
            let code = frame.code.flatMap(PluginLoadError.Code.init(named:)) ?? .initFailed
            throw PluginLoadError(code, path: path, frame.message ?? "init failed")
        case .frame, .invalid:
            kill(running)
            throw PluginLoadError(.workerFailed, path: path, "the worker answered init with something other than ready")
        case .closed:
            let death = reap(running, killing: false)
            output.waitForEnd(timeout: .milliseconds(200))
            throw PluginLoadError(.initFailed, path: path, "init crashed the worker: \(death)\(output.tailSuffix)")
        case nil:
            kill(running)
            throw PluginLoadError(
                .initFailed, path: path,
                "init did not return within \(policy.initTimeout.humanReadable); the worker was killed\(output.tailSuffix)")
        }
    }

    /// Re-executes the host binary as `healthhost worker --plugin PATH --host-pid PID` with the socket
    /// on descriptor 3, standard output and error on `output`, standard input from
    /// /dev/null, no other descriptor, its own process group, default signal handling.
    private func spawn(socket: Int32, output: Int32) throws(PluginLoadError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, socket, 3)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        CleanSpawn.closeDescriptors(from: 4, in: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        CleanSpawn.resetSignals(in: &attributes, ownProcessGroup: true)
        let arguments = [
            Self.displayName(of: policy.workerExecutable), "worker", "--plugin", path, "--host-pid", "\(getpid())",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The host's environment (plugins may read theirs), without the Swift runtime's
        // crash backtracer: it took 0.8 s per crash and buried the plugin's last words.
        var environment = CurrentProcess.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        // The service manager's variables are the host's alone (sd_notify(3)).
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { environment[name] = nil }
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        let executable = policy.workerExecutable
        let (pid, result) = WorkerSpawner.shared.run {
            var pid: pid_t = 0
            let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
            return (pid, result)
        }
        guard result == 0 else {
            throw PluginLoadError(
                .workerFailed, path: path,
                "cannot start a worker (\(policy.workerExecutable)): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// What `ps` shows as the worker's program: the binary's real path.
    private static func displayName(of executable: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(executable, &buffer, buffer.count - 1)
        guard count > 0 else { return executable }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Bindings

    /// Registers a check with its arguments for calls; replayed after every restart.
    func bind(check: String, values: [ParameterValue]) throws(PluginLoadError) -> Int {
        let (id, running) = state.withLockedValue { state -> (Int, Running?) in
            let id = state.nextID
            state.nextID += 1
            state.bindings[id] = Binding(check: check, values: values)
            return (id, state.running)
        }
        if let running {
            let waiter = Waiter()
            state.withLockedValue { $0.pending[id] = waiter }
            guard running.socket.send(bindFrame(id: id, check: check, values: values)) else {
                throw PluginLoadError(.workerFailed, path: path, "the worker is gone")
            }
            switch waiter.wait(timeout: policy.initTimeout) {
            case .frame(let frame) where frame.type == "bound":
                break
            case .frame(let frame):
                let code = frame.code.flatMap(PluginLoadError.Code.init(named:)) ?? .invalidDescriptor
                throw PluginLoadError(code, path: path, frame.message ?? "check '\(check)': binding failed")
            case .died(let reason), .gaveUp(let reason):
                throw PluginLoadError(.workerFailed, path: path, "check '\(check)': \(reason)")
            }
        }
        return id
    }

    private func bindFrame(id: Int, check: String, values: [ParameterValue]) -> WorkerFrame {
        var frame = WorkerFrame(type: "bind")
        frame.id = id
        frame.check = check
        frame.values = values.map { WireValue(kind: $0.kind.rawValue, text: $0.text) }
        return frame
    }

    // MARK: Calls

    /// Runs one check call in the worker; never blocks past the timeout plus the grace.
    func call(check: String, binding: Int?, configuredName: String, timeout: Duration) -> CheckResult {
        let running: Running
        switch ensureRunning() {
        case .success(let value): running = value
        case .failure(let refusal): return .fail(refusal.message)
        }
        let waiter = Waiter()
        let id = state.withLockedValue { state -> Int in
            let id = state.nextID
            state.nextID += 1
            state.pending[id] = waiter
            state.runningNames[id] = configuredName
            return id
        }
        var frame = WorkerFrame(type: "call")
        frame.id = id
        frame.check = check
        frame.binding = binding
        frame.configuredName = configuredName
        frame.timeoutMs = milliseconds(timeout)
        if !running.socket.send(frame) {
            // The reader notices the death and answers the waiter.
            logger.debug("could not send a call to the worker", metadata: ["worker.pid": "\(running.pid)"])
        }
        let outcome = waiter.wait(timeout: timeout + policy.hangGrace)
        state.withLockedValue { state in
            state.pending[id] = nil
            state.runningNames[id] = nil
        }
        switch outcome {
        case .frame(let result):
            guard let status = result.status.flatMap(CheckStatus.init(rawValue:)) else {
                return .fail("the worker sent a result without a valid status")
            }
            return CheckResult(
                status: status, message: result.message ?? "", observedValue: result.observedValue,
                observedUnit: result.unit ?? "")
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
        let running: Running
        switch ensureRunning() {
        case .success(let value): running = value
        case .failure(let refusal): return .failed(refusal.message)
        }
        let waiter = Waiter()
        let id = state.withLockedValue { state -> Int in
            let id = state.nextID
            state.nextID += 1
            state.pending[id] = waiter
            return id
        }
        var frame = WorkerFrame(type: "info")
        frame.id = id
        running.socket.send(frame)
        let outcome = waiter.wait(timeout: timeout)
        state.withLockedValue { $0.pending[id] = nil }
        switch outcome {
        case .frame(let answer):
            if let message = answer.message, answer.entries == nil { return .failed(message) }
            return .entries((answer.entries ?? []).compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
        case .died(let reason): return .failed(reason)
        case .gaveUp: return .failed("the plugin's info did not answer within \(timeout.humanReadable)")
        }
    }

    private struct Refusal: Error {
        let message: String
    }

    /// The running worker, starting it again when it died and its back-off has passed.
    private func ensureRunning() -> Result<Running, Refusal> {
        if let running = state.withLockedValue({ $0.running }) { return .success(running) }
        return startLock.withLock {
            let now = ContinuousClock.now
            let situation = state.withLockedValue { state -> Result<Running?, Refusal> in
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
                let (running, _) = try spawnAndGreet()
                let settings = state.withLockedValue { $0.settings }
                try sendInit(to: running, settings: settings)
                let bindings = state.withLockedValue { $0.bindings }.sorted { $0.key < $1.key }
                for (id, binding) in bindings {
                    guard running.socket.send(bindFrame(id: id, check: binding.check, values: binding.values)),
                        case .frame(let answer)? = receiveSkippingLogs(running.socket, within: policy.initTimeout),
                        answer.type == "bound"
                    else {
                        kill(running)
                        throw PluginLoadError(.workerFailed, path: path, "the restarted worker refused check '\(binding.check)'")
                    }
                }
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

    /// The next frame that is not a `log` line (those are logged), within `timeout`.
    private func receiveSkippingLogs(_ socket: FrameSocket, within timeout: Duration) -> FrameSocket.Received? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, let received = socket.receive(within: remaining) else { return nil }
            if case .frame(let frame) = received, frame.type == "log" {
                handle(frame)
                continue
            }
            return received
        }
    }

    // MARK: Reading, deaths

    /// The generations whose socket a reader thread owns (and closes).
    private let hasReader = NIOLockedValueBox<Set<Int>>([])

    /// Reader threads still running: shutdown waits for them, so none is left working
    /// (logging, reaping) while the process exits.
    private let readersRunning = NIOLockedValueBox(0)

    private func startReader(for running: Running) {
        hasReader.withLockedValue { _ = $0.insert(running.generation) }
        readersRunning.withLockedValue { $0 += 1 }
        DetachedThread.start(name: "hh-worker-read") { [self] in self.read(running) }
    }

    private func read(_ running: Running) {
        while true {
            switch running.socket.receive() {
            case .frame(let frame):
                handle(frame)
            case .invalid(let what):
                logger.error("the worker sent \(what); killing it", metadata: ["worker.pid": "\(running.pid)"])
                Glibc.kill(-running.pid, SIGKILL)
                Glibc.kill(running.pid, SIGKILL)
            case .closed:
                workerDied(running)
                readersRunning.withLockedValue { $0 -= 1 }
                return
            }
        }
    }

    private func handle(_ frame: WorkerFrame) {
        switch frame.type {
        case "log":
            let message = frame.message ?? ""
            switch frame.level {
            case "debug": logger.debug("\(message)")
            case "info": logger.info("\(message)")
            case "notice": logger.notice("\(message)")
            case "warning": logger.warning("\(message)")
            default: logger.error("\(message)")
            }
        default:
            guard let id = frame.id, let waiter = state.withLockedValue({ $0.pending[id] }) else { return }
            waiter.finish(.frame(frame))
        }
    }

    private func workerDied(_ running: Running) {
        let death = reap(running, killing: false)
        output.waitForEnd(timeout: .milliseconds(200))
        let (waiters, names, killReason, shutDown) = state.withLockedValue { state in
            defer {
                state.pending = [:]
                state.runningNames = [:]
                state.killReason = nil
                if state.running?.generation == running.generation { state.running = nil }
            }
            return (Array(state.pending.values), Array(state.runningNames.values).sorted(), state.killReason, state.isShutDown)
        }
        if shutDown { return }
        let during = names.isEmpty ? "" : " while running \(names.map { "'\($0)'" }.joined(separator: ", "))"
        let cause = killReason ?? "plugin \(death)\(during)"
        let message = recordDeath(cause)
        logger.error("plugin worker died: \(cause)\(output.tailSuffix)", metadata: ["worker.pid": "\(running.pid)"])
        for waiter in waiters { waiter.finish(.died("\(cause)\(output.tailSuffix)")) }
        _ = message
    }

    /// Counts a death, sets the back-off or the quarantine; returns what calls are told.
    private func recordDeath(_ cause: String) -> String {
        let now = ContinuousClock.now
        let jitter = Double.random(in: 0.8...1.2)
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

    /// Waits for the worker to exit (killing its process group first when asked, or when
    /// it does not exit within a second of closing its socket) and says how it ended.
    private func reap(_ running: Running, killing: Bool) -> String {
        running.socket.close()
        if killing {
            Glibc.kill(-running.pid, SIGKILL)
            Glibc.kill(running.pid, SIGKILL)
        }
        var status: Int32 = 0
        for _ in 0..<100 {
            let result = waitpid(running.pid, &status, WNOHANG)
            if result == running.pid { return Self.describe(status) }
            if result < 0 && errno != EINTR { return "ended (its status was already collected)" }
            usleep(10_000)
        }
        Glibc.kill(-running.pid, SIGKILL)
        Glibc.kill(running.pid, SIGKILL)
        while waitpid(running.pid, &status, 0) < 0 && errno == EINTR {}
        return "closed its socket and did not exit; it was killed"
    }

    private func kill(_ running: Running) { _ = reap(running, killing: true) }

    /// `crashed: signal 11 (SIGSEGV)` or `exited with status 3`.
    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let name = signalNames[signal].map { " (\($0))" } ?? ""
        return "crashed: signal \(signal)\(name)"
    }

    private static let signalNames: [Int32: String] = [
        SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGILL: "SIGILL",
        SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGTRAP: "SIGTRAP", SIGINT: "SIGINT", SIGPIPE: "SIGPIPE",
        SIGSYS: "SIGSYS", SIGXCPU: "SIGXCPU",
    ]

    // MARK: Shutdown

    /// Asks the worker to call the plugin's `shutdown` and exit; kills it after `grace`.
    func shutdown(grace: Duration = .seconds(1)) {
        let running = state.withLockedValue { state -> Running? in
            state.isShutDown = true
            return state.running
        }
        guard let running else { return }
        running.socket.send(WorkerFrame(type: "shutdown"))
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
        Glibc.kill(-running.pid, SIGKILL)
        Glibc.kill(running.pid, SIGKILL)
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

    /// The worker's process id, while one runs.
    var pid: pid_t? { state.withLockedValue { $0.running?.pid } }

    private func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// The one thread that starts workers. A worker asks for SIGKILL when its parent dies
/// (`PR_SET_PDEATHSIG`), and the kernel means the *thread* that forked it: a worker
/// started from a short-lived thread would be killed when that thread ends. This one
/// never ends.
private final class WorkerSpawner: @unchecked Sendable {
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

/// One call's answer, handed from the reader thread to the calling thread.
private final class Waiter: Sendable {
    enum Outcome {
        case frame(WorkerFrame)
        case died(String)
        /// Nothing came within the wait.
        case gaveUp(String)
    }

    private let outcome = NIOLockedValueBox<Outcome?>(nil)
    private let signal = DispatchSemaphore(value: 0)

    func finish(_ value: Outcome) {
        let first = outcome.withLockedValue { current -> Bool in
            guard current == nil else { return false }
            current = value
            return true
        }
        if first { signal.signal() }
    }

    func wait(timeout: Duration) -> Outcome {
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        if signal.wait(timeout: .now() + .nanoseconds(Int(clamping: nanoseconds))) == .timedOut {
            finish(.gaveUp("no answer within \(timeout.humanReadable)"))
        }
        return outcome.withLockedValue { $0 } ?? .gaveUp("no answer")
    }
}

/// The last lines a worker wrote to standard output and error (at most 10 lines of 300
/// bytes), read on a thread of its own so a plugin that spews can never block the host;
/// lines are logged at most 20 a second.
final class OutputTail: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    private let ended = NIOLockedValueBox(false)

    /// Waits until the worker's output has been read to its end (its last lines are in).
    func waitForEnd(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while !ended.withLockedValue({ $0 }) && ContinuousClock.now < deadline { usleep(2_000) }
    }

    /// `; last output: a | b` or nothing.
    var tailSuffix: String {
        let tail = lines.withLockedValue { $0 }
        return tail.isEmpty ? "" : "; last output: " + tail.suffix(5).joined(separator: " | ")
    }

    func startReading(_ descriptor: Int32, logger: Logger) {
        lines.withLockedValue { $0 = [] }
        ended.withLockedValue { $0 = false }
        DetachedThread.start(name: "hh-worker-out") { [self] in self.read(descriptor, logger: logger) }
    }

    private func read(_ descriptor: Int32, logger: Logger) {
        defer {
            Glibc.close(descriptor)
            ended.withLockedValue { $0 = true }
        }
        var buffer = [UInt8](repeating: 0, count: 16384)
        var partial: [UInt8] = []
        var windowStart = ContinuousClock.now
        var loggedInWindow = 0
        var dropped = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                if !partial.isEmpty {
                    let line = String(decoding: partial, as: UTF8.self)
                    lines.withLockedValue { $0.append(line) }
                }
                return
            }
            for byte in buffer[0..<count] {
                if byte == UInt8(ascii: "\n") {
                    let line = String(decoding: partial.prefix(300), as: UTF8.self)
                    partial.removeAll(keepingCapacity: true)
                    lines.withLockedValue { lines in
                        lines.append(line)
                        if lines.count > 10 { lines.removeFirst(lines.count - 10) }
                    }
                    let now = ContinuousClock.now
                    if now - windowStart >= .seconds(1) {
                        if dropped > 0 { logger.warning("worker output: \(dropped) line(s) not logged (over 20 a second)") }
                        windowStart = now
                        loggedInWindow = 0
                        dropped = 0
                    }
                    if loggedInWindow < 20 {
                        loggedInWindow += 1
                        logger.info("worker output: \(line)")
                    } else {
                        dropped += 1
                    }
                } else if partial.count < 300 {
                    partial.append(byte)
                }
            }
        }
    }
}

/// What happened to a plugin's worker process, for `/metrics`.
public struct WorkerStatistics: Sendable {
    /// Times the worker died (crashed, exited, was killed past a timeout, or failed to restart).
    public var deaths = 0
    /// Times a new worker was started after one died.
    public var restarts = 0
    /// Whether too many deaths stopped further restarts.
    public var isQuarantined = false
}
