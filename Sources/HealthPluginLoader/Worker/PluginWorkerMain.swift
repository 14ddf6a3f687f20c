public import CProcessSupport
import Dispatch
import HealthCore
import HealthPOSIX
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
        let sha256 = FileDigest.sha256(ofFile: pluginPath) ?? "unreadable"
        let hello = WorkerMessage.hello(descriptor: WireDescriptor(descriptor), sha256: sha256)
        guard socket.send(hello) else { return 0 }

        let settings: PluginSettings
        switch socket.receive(HostMessage.self) {
        case .message(.initialize(let settingsJSON, let scalars)):
            settings = PluginSettings(json: settingsJSON, scalars: scalars)
        case .invalid(.versionMismatch(let received, let expected)):
            socket.send(
                WorkerMessage.loadFailed(
                    code: PluginLoadError.Code.workerFailed.description,
                    message: "the host sent init for worker protocol version \(received), but this worker "
                        + "(\(BundledPlugins.runningExecutable())) speaks version \(expected): the host and its worker "
                        + "binary are different builds"))
            return 0
        case .message, .invalid, .closed:
            return 0
        }
        let plugin: LoadedPlugin
        do throws(PluginLoadError) {
            plugin = try loader.initialize(path: pluginPath, descriptor: descriptor, settings: settings, sha256: sha256)
        } catch {
            socket.send(failure(error))
            return 0
        }
        guard socket.send(WorkerMessage.ready) else { return 0 }
        return serve(plugin, socket: socket)
    }

    private static func failure(_ error: PluginLoadError) -> WorkerMessage {
        .loadFailed(code: error.code.description, message: error.message)
    }

    private static func serve(_ plugin: LoadedPlugin, socket: FrameSocket) -> Int32 {
        let bindings = NIOLockedValueBox<[Int: PluginCheck]>([:])
        let runner = CallRunner()
        while true {
            let message: HostMessage
            switch socket.receive(HostMessage.self) {
            case .message(let received): message = received
            case .closed: return 0  // EOF: the host is gone
            case .invalid: continue  // ignored, as a message of a type this worker does not know
            }
            switch message {
            case .bind(let id, let name, let values):
                socket.send(bind(id: id, check: name, values: values, plugin: plugin, into: bindings))
            case .call(let request):
                let check =
                    request.binding.flatMap { id in bindings.withLockedValue { $0[id] } }
                    ?? plugin.implementation(of: request.check)
                runner.run { socket.send(call(request, check: check)) }
            case .info(let id):
                DetachedThread.start(name: "hh-info") {
                    let answer: InfoAnswer
                    switch plugin.readInfo() {
                    case .entries(let entries)?: answer = .entries(entries.map { InfoEntry(key: $0.key, value: $0.value) })
                    case .failed(let reason)?: answer = .failed(reason)
                    case nil: answer = .failed("the plugin has no info section")
                    }
                    socket.send(WorkerMessage.infoResult(id: id, answer))
                }
            case .shutdown:
                plugin.shutdown()
                return 0
            case .initialize:
                continue
            }
        }
    }

    private static func bind(
        id: Int, check name: String, values wireValues: [WireValue], plugin: LoadedPlugin,
        into bindings: NIOLockedValueBox<[Int: PluginCheck]>
    ) -> WorkerMessage {
        guard let check = plugin.implementation(of: name) else {
            return .bindFailed(id: id, code: nil, message: "no check '\(name)'")
        }
        var values: [ParameterValue] = []
        for (parameter, wire) in zip(check.check.parameters, wireValues) {
            guard let value = ParameterValue.parse(wire.text, as: parameter.kind) else {
                return .bindFailed(id: id, code: nil, message: "parameter '\(parameter.name)': '\(wire.text)' is not a \(parameter.kind)")
            }
            values.append(value)
        }
        do throws(PluginLoadError) {
            let bound = try check.binding(values)
            bindings.withLockedValue { $0[id] = bound }
            return .bound(id: id)
        } catch {
            return .bindFailed(id: id, code: error.code.description, message: error.message)
        }
    }

    private static func call(_ request: CallRequest, check: PluginCheck?) -> WorkerMessage {
        guard let check else {
            return .result(id: request.id, .fail("the worker has no check '\(request.check)'"))
        }
        let invocation = CheckInvocation(configuredName: request.configuredName, timeout: request.timeout)
        return .result(id: request.id, check.run(invocation))
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
        socket.send(WorkerMessage.log(level: event.level.rawValue, message: "\(event.message)"))
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
