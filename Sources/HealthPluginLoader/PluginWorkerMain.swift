import CProcessSupport
import Dispatch
import HealthCore
import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// The worker process of an isolated plugin (`healthhost worker --plugin PATH`, started
/// by the host with its socket on descriptor 3): loads the plugin through the same
/// loader and validation as in-process, says `hello`, runs `init` when told, then runs
/// each call on a thread of its own and sends the result. Exits when told to shut down,
/// when its socket reaches EOF, or (backstop) when its parent dies.
public enum PluginWorkerMain {
    /// The descriptor the host puts the socket on.
    public static let socketDescriptor: Int32 = 3

    /// Serves the host until it goes away; returns the exit status. `hostPID` is the
    /// process that started this worker (`--host-pid`): the worker knows its host by
    /// that, not by whether its parent is PID 1, which the host itself is when it is a
    /// container's entrypoint.
    public static func run(pluginPath: String, hostPID: pid_t?) -> Int32 {
        _ = hh_set_parent_death_signal(SIGKILL)
        // The host died before the backstop was set: this worker was re-parented.
        if let hostPID, getppid() != hostPID { return 0 }
        signal(SIGPIPE, SIG_IGN)
        let socket = FrameSocket(descriptor: socketDescriptor)
        let logger = Logger(label: "healthhost.worker") { _ in FrameLogHandler(socket: socket) }
        let loader = PluginLoader(policy: .failFast, logger: logger)
        let descriptor: PluginDescriptor
        do throws(PluginLoadError) {
            descriptor = try loader.open(pluginPath)
        } catch {
            socket.send(failure(error))
            return 0
        }
        var hello = WorkerFrame(type: "hello")
        hello.version = WorkerFrame.version
        hello.descriptor = WireDescriptor(descriptor)
        hello.sha256 = FileDigest.sha256(ofFile: pluginPath) ?? "unreadable"
        guard socket.send(hello) else { return 0 }

        guard case .frame(let initFrame) = socket.receive(), initFrame.type == "init" else { return 0 }
        let settings = PluginSettings(json: initFrame.settingsJSON ?? "{}", scalars: initFrame.scalars ?? [:])
        let plugin: LoadedPlugin
        do throws(PluginLoadError) {
            plugin = try loader.initialize(path: pluginPath, descriptor: descriptor, settings: settings)
        } catch {
            socket.send(failure(error))
            return 0
        }
        guard socket.send(WorkerFrame(type: "ready")) else { return 0 }
        return serve(plugin, socket: socket)
    }

    private static func failure(_ error: PluginLoadError) -> WorkerFrame {
        var frame = WorkerFrame(type: "load_failed")
        frame.code = error.code.description
        frame.message = error.message
        return frame
    }

    private static func serve(_ plugin: LoadedPlugin, socket: FrameSocket) -> Int32 {
        let bindings = NIOLockedValueBox<[Int: PluginCheck]>([:])
        let runner = CallRunner()
        while true {
            guard case .frame(let frame) = socket.receive() else {
                return 0  // EOF: the host is gone
            }
            switch frame.type {
            case "bind":
                socket.send(bind(frame, plugin: plugin, into: bindings))
            case "call":
                let check = frame.binding.flatMap { id in bindings.withLockedValue { $0[id] } }
                    ?? frame.check.flatMap(plugin.implementation(of:))
                runner.run { socket.send(call(frame, check: check)) }
            case "info":
                DetachedThread.start(name: "hh-info") {
                    var answer = WorkerFrame(type: "info_result")
                    answer.id = frame.id
                    switch plugin.readInfo() {
                    case .entries(let entries)?: answer.entries = entries.map { [$0.key, $0.value] }
                    case .failed(let reason)?: answer.message = reason
                    case nil: answer.message = "the plugin has no info section"
                    }
                    socket.send(answer)
                }
            case "shutdown":
                plugin.shutdown()
                return 0
            default:
                continue
            }
        }
    }

    private static func bind(_ frame: WorkerFrame, plugin: LoadedPlugin, into bindings: NIOLockedValueBox<[Int: PluginCheck]>)
        -> WorkerFrame
    {
        var answer = WorkerFrame(type: "bind_failed")
        answer.id = frame.id
        guard let id = frame.id, let name = frame.check, let check = plugin.implementation(of: name) else {
            answer.message = "no check '\(frame.check ?? "")'"
            return answer
        }
        var values: [ParameterValue] = []
        for (parameter, wire) in zip(check.check.parameters, frame.values ?? []) {
            guard let value = ParameterValue.parse(wire.text, as: parameter.kind) else {
                answer.message = "parameter '\(parameter.name)': '\(wire.text)' is not a \(parameter.kind)"
                return answer
            }
            values.append(value)
        }
        do throws(PluginLoadError) {
            let bound = try check.binding(values)
            bindings.withLockedValue { $0[id] = bound }
            answer.type = "bound"
        } catch {
            answer.code = error.code.description
            answer.message = error.message
        }
        return answer
    }

    private static func call(_ frame: WorkerFrame, check: PluginCheck?) -> WorkerFrame {
        var answer = WorkerFrame(type: "result")
        answer.id = frame.id
        guard let check else {
            answer.status = CheckStatus.fail.rawValue
            answer.message = "the worker has no check '\(frame.check ?? "")'"
            return answer
        }
        let invocation = CheckInvocation(
            configuredName: frame.configuredName ?? check.check.name, timeout: .milliseconds(frame.timeoutMs ?? 5000))
        let result = check.run(invocation)
        answer.status = result.status.rawValue
        answer.message = result.message
        answer.observedValue = result.observedValue
        answer.unit = result.observedUnit
        return answer
    }
}

/// Sends what the plugin logs to the host as `log` frames.
struct FrameLogHandler: LogHandler {
    let socket: FrameSocket
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var frame = WorkerFrame(type: "log")
        frame.level = event.level.rawValue
        frame.message = "\(event.message)"
        socket.send(frame)
    }
}

/// Runs calls on threads kept for reuse: an idle one takes the next call, a new one
/// starts only when all are busy (a hung call holds its thread until the host kills the
/// worker). Starting a thread per call was most of a round trip.
final class CallRunner: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NIOLock()
    private var jobs: [@Sendable () -> Void] = []
    private var idle = 0
    private let wakeUp = DispatchSemaphore(value: 0)

    func run(_ job: @escaping @Sendable () -> Void) {
        let startThread = lock.withLock { () -> Bool in
            jobs.append(job)
            if idle > 0 {
                idle -= 1
                return false
            }
            return true
        }
        if startThread {
            DetachedThread.start(name: "hh-call") { [self] in self.work() }
        } else {
            wakeUp.signal()
        }
    }

    private func work() {
        while true {
            let job = lock.withLock { jobs.isEmpty ? nil : jobs.removeFirst() }
            if let job {
                job()
                continue
            }
            lock.withLock { idle += 1 }
            wakeUp.wait()
        }
    }
}
