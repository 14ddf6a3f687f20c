import CProcessSupport
import Dispatch
import HealthCore
import HealthPOSIX
import HealthPluginABI
import Logging
import NIOConcurrencyHelpers

/// The last phase for an in-process plugin: its `init`, bounded by `plugins.init_timeout`.
extension PluginLoader {
    /// Runs the plugin's `init` (in this process) and makes it a loaded plugin; `sha256`
    /// when the file's digest is known already.
    func initialize(
        path: String, descriptor: PluginDescriptor, settings: PluginSettings, placement: IsolationDecision? = nil,
        sha256: String? = nil
    ) throws(PluginLoadError) -> LoadedPlugin {
        let host = PluginHostTable(pluginName: descriptor.name, path: path, settings: settings, logger: logger)
        if let initialize = descriptor.hooks.initialize {
            do throws(PluginLoadError) {
                try runInit(initialize, host: host, settings: settings, path: path, name: descriptor.name)
            } catch {
                throw error.naming(plugin: descriptor.name)
            }
        }
        let digest = sha256 ?? FileDigest.sha256(ofFile: path) ?? "unreadable"
        return LoadedPlugin(path: path, sha256: digest, descriptor: descriptor, host: host, placement: placement)
    }

    /// Runs `init` on a thread of its own, bounded by `plugins.init_timeout`: a hung
    /// `init` becomes a load error (the thread cannot be stopped and keeps its buffer).
    func runInit(
        _ initialize: hh_init_fn, host: PluginHostTable, settings: PluginSettings, path: String, name: String
    ) throws(PluginLoadError) {
        let capacity = 1024
        let outcome = InitOutcome(capacity: capacity)
        let json = settings.json
        let table = UnsafeSendable(host.table)
        let label = "plugin '\(name)' init (\(path))"
        let started = DetachedThread.start(name: "hh-init-\(name)") {
            let code = label.withCString { label in
                hh_crash_report_enter(label)
                defer { hh_crash_report_leave() }
                return json.withCString { initialize(table.value, $0, outcome.buffer.value, capacity) }
            }
            outcome.finish(code)
        }
        guard started else {
            throw PluginLoadError(.initFailed, path: path, "cannot start a thread for plugin '\(name)' init (the system refused one)")
        }
        let patience = min(isolation.initTimeout, .seconds(1))
        if !outcome.wait(patience) {
            logger.notice(
                "waiting for the init of plugin \(name) (at most \(isolation.initTimeout.humanReadable))",
                metadata: ["plugin.path": "\(path)"])
            guard outcome.wait(isolation.initTimeout - patience) else {
                throw PluginLoadError(
                    .initFailed, path: path,
                    "init did not return within \(isolation.initTimeout.humanReadable); it keeps a thread of its own "
                        + "(with isolation: process its worker would have been killed)")
            }
        }
        guard let code = outcome.code, code != 0 else { return }
        outcome.buffer.value[capacity - 1] = 0
        let reason = string(outcome.buffer.value) ?? ""
        throw PluginLoadError(
            .initFailed, path: path,
            reason.isEmpty ? "init failed (returned \(code) and gave no reason)" : "init failed: \(reason)")
    }
}

/// The result of one `init` call, handed from its thread to the loader. The error buffer
/// is never freed: an `init` that hangs may write into it at any later time.
private final class InitOutcome: Sendable {
    let buffer: UnsafeSendable<UnsafeMutablePointer<CChar>>
    private let result = NIOLockedValueBox<Int32?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
        buffer = UnsafeSendable(pointer)
    }

    var code: Int32? { result.withLockedValue { $0 } }

    func finish(_ code: Int32) {
        result.withLockedValue { $0 = code }
        done.signal()
    }

    /// Whether `init` returned within `timeout`.
    func wait(_ timeout: Duration) -> Bool {
        if code != nil { return true }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        if done.wait(timeout: .now() + .nanoseconds(Int(clamping: max(0, nanoseconds)))) == .success {
            done.signal()  // later waits see it too
            return true
        }
        return false
    }
}

/// A pointer handed to another thread whose use the code around it orders.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
