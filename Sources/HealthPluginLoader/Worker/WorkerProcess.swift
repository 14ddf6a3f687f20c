import CProcessSupport
import HealthCore
import HealthPOSIX
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One started worker process: its pid, the host's end of its socket, and which start
/// of the plugin's worker it is. Spawning, signalling and reaping; no protocol.
struct WorkerProcess: Sendable {
    let pid: pid_t
    let socket: FrameSocket
    let generation: Int

    /// Starts `healthhost worker` for the plugin at `path`: a socket pair for messages, a
    /// pipe for its standard output and error (which `output` reads on its own thread).
    static func launch(
        path: String, policy: IsolationPolicy, generation: Int, output: OutputTail, logger: Logger
    ) throws(PluginLoadError) -> WorkerProcess {
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
            pid = try spawn(path: path, executable: policy.workerExecutable, socket: workerEnd.descriptor, output: pipeDescriptors[1])
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
        return WorkerProcess(pid: pid, socket: hostEnd, generation: generation)
    }

    /// Re-executes the host binary as `healthhost worker --plugin PATH --host-pid PID` with the socket
    /// on descriptor 3, standard output and error on `output`, standard input from
    /// /dev/null, no other descriptor, its own process group, default signal handling.
    private static func spawn(path: String, executable: String, socket: Int32, output: Int32) throws(PluginLoadError) -> pid_t {
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
        let arguments = [displayName(of: executable), "worker", "--plugin", path, "--host-pid", "\(getpid())"]
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
        let (pid, result) = WorkerSpawner.shared.run {
            var pid: pid_t = 0
            let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
            return (pid, result)
        }
        guard result == 0 else {
            throw PluginLoadError(
                .workerFailed, path: path, "cannot start a worker (\(executable)): \(String(cString: strerror(result)))")
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

    /// SIGKILL to its process group and to itself (a plugin may have left its group).
    func signalKill() {
        Glibc.kill(-pid, SIGKILL)
        Glibc.kill(pid, SIGKILL)
    }

    /// Waits for the worker to exit (killing its process group first when asked, or when
    /// it does not exit within a second of closing its socket) and says how it ended.
    func reap(killing: Bool) -> String {
        socket.close()
        if killing { signalKill() }
        var status: Int32 = 0
        for _ in 0..<100 {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return Self.describe(status) }
            if result < 0 && errno != EINTR { return "ended (its status was already collected)" }
            usleep(10_000)
        }
        signalKill()
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return "closed its socket and did not exit; it was killed"
    }

    /// Kills and reaps it.
    func kill() { _ = reap(killing: true) }

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
}
