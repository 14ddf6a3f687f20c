import HealthCore
import CProcessSupport
import HealthPluginABI
import Logging
import NIOConcurrencyHelpers
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Loads plugin files: `dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)`, the entry
/// symbol, ABI and descriptor validation, unique names, then each plugin's `init`.
///
/// Plugins are never unloaded: `dlclose` of an image with Swift code (or thread-local
/// destructors) crashes the process later, so even a plugin that fails validation
/// stays mapped (it was opened with `RTLD_NODELETE`).
public struct PluginLoader: Sendable {
    /// What to do when a plugin fails.
    public enum Policy: Sendable {
        /// Throw the first error (start-up stops).
        case failFast
        /// Log it, record it in ``PluginSet/broken`` and go on.
        case skipBroken
    }

    private let logger: Logger
    private let policy: Policy
    private let isolation: IsolationPolicy
    private let trust: PluginTrust

    /// Creates a loader; `isolation` says which plugins run in worker processes, `trust`
    /// which files may be opened at all.
    public init(policy: Policy, logger: Logger, isolation: IsolationPolicy = .inProcess, trust: PluginTrust = PluginTrust()) {
        self.policy = policy
        self.logger = logger
        self.isolation = isolation
        self.trust = trust
        // A crash inside an in-process plugin call names the call before the host dies.
        hh_crash_report_install()
    }

    /// Loads every plugin behind `paths` (files or folders, see ``PluginDiscovery``) and
    /// initialises each with `settings(pluginName)`; a plugin found in a folder that
    /// `demand` does not want is only described (``PluginSet/idle``).
    public func load(
        paths: [String], demand: PluginDemand = .every, settings: (String) -> PluginSettings
    ) throws(PluginLoadError) -> PluginSet {
        var broken: [BrokenPlugin] = []
        func handle(_ error: PluginLoadError) throws(PluginLoadError) {
            guard policy == .skipBroken else { throw error }
            logger.error("skipping broken plugin: \(error)", metadata: ["plugin.path": "\(error.path)"])
            broken.append(BrokenPlugin(path: error.path, error: error))
        }

        var files: [String] = []
        var seenFiles = Set<String>()
        var foundInFolders = Set<String>()
        for path in paths {
            do throws(PluginLoadError) {
                let found = try PluginDiscovery.files(at: path)
                for file in found {
                    let canonical = FilePaths.resolvingLinks(FilePaths.absolute(file))
                    if seenFiles.insert(canonical).inserted { files.append(file) }
                    if found != [path] { foundInFolders.insert(file) }
                }
            } catch {
                try handle(error)
            }
        }
        var skipped: [BrokenPlugin] = []

        // Trust first (a file that fails it is never opened, not even by a worker), then
        // with isolation on by default every trusted file's worker starts at once.
        let trustErrors = files.map { file -> PluginLoadError? in
            do throws(PluginLoadError) {
                try trust.check(file)
                return nil
            } catch {
                return error
            }
        }
        // Bundled or third-party: decided by the file (its folder and digest), before
        // anything is opened; the name a plugin declares never decides it.
        if let unavailable = isolation.bundled.unavailable, let folder = isolation.bundled.folder,
            FileKind(folder) == .directory
        {
            logger.warning(
                "no plugin in \(folder) runs as a bundled plugin: \(unavailable)", metadata: ["plugin.path": "\(folder)"])
        }
        var origins: [String: PluginOrigin] = [:]
        for (file, trustError) in zip(files, trustErrors) where trustError == nil {
            origins[file] = isolation.bundled.origin(of: file)
        }
        var described: [String: Result<ParallelDescription.Described, PluginLoadError>] = [:]
        if isolation.defaultIsolation == .process {
            let trusted = zip(files, trustErrors).filter { $0.1 == nil }.map(\.0)
            let isolation = self.isolation
            let logger = self.logger
            let results = ParallelDescription.describe(trusted) { PluginWorker(path: $0, policy: isolation, logger: logger) }
            for (file, result) in zip(trusted, results) { described[file] = result }
        }
        // A worker described but not taken (start-up stopped at an earlier error) is stopped.
        defer {
            for case .success(let unused) in described.values { unused.worker.shutdown() }
        }

        var opened: [Opened] = []
        for (file, trustError) in zip(files, trustErrors) {
            do throws(PluginLoadError) {
                if let trustError { throw trustError }
                let plugin: Opened
                do throws(PluginLoadError) {
                    let named = !foundInFolders.contains(file)
                    let description = described.removeValue(forKey: file)
                    let origin = origins[file] ?? isolation.bundled.origin(of: file)
                    plugin = try openIsolatedOrNot(file, origin: origin, described: description) { named || demand.wants($0) }
                } catch where foundInFolders.contains(file) && Self.lacksASharedLibrary(error) {
                    // A bundled plugin whose system library is not installed (libpq,
                    // libmariadb, libcurl): the host starts without it. Naming the file
                    // in plugins.paths, or a check of it, still fails.
                    logger.warning(
                        "skipping plugin \(file): \(error.message); install the library it needs to use it",
                        metadata: ["plugin.path": "\(file)"])
                    skipped.append(BrokenPlugin(path: file, error: error))
                    continue
                }
                if let other = opened.first(where: { $0.descriptor.name == plugin.descriptor.name }) {
                    plugin.worker?.shutdown()
                    throw PluginLoadError(
                        .duplicatePluginName, path: file,
                        "plugin name '\(plugin.descriptor.name)' is already used by \(other.path); plugin names must be unique")
                }
                opened.append(plugin)
            } catch {
                try handle(error)
            }
        }

        var plugins: [LoadedPlugin] = []
        var idle: [IdlePlugin] = []
        for plugin in opened {
            guard plugin.isUsed else {
                logger.debug(
                    "not starting plugin \(plugin.descriptor.name): no configured check uses it",
                    metadata: ["plugin.path": "\(plugin.path)"])
                idle.append(
                    IdlePlugin(
                        path: plugin.path, sha256: plugin.sha256 ?? FileDigest.sha256(ofFile: plugin.path) ?? "unreadable",
                        descriptor: plugin.descriptor))
                continue
            }
            if let decision = plugin.decision {
                logger.debug(
                    "plugin \(plugin.descriptor.name) runs \(decision.description)", metadata: ["plugin.path": "\(plugin.path)"])
                if BundledPlugins.pluginNames.contains(plugin.descriptor.name), !decision.isBundled {
                    let message =
                        "plugin \(plugin.path) calls itself '\(plugin.descriptor.name)', the name of a bundled plugin, "
                        + "but is not the file installed with healthhost: it runs like any third-party plugin"
                    logger.notice("\(message)", metadata: ["plugin.path": "\(plugin.path)"])
                }
            }
            do throws(PluginLoadError) {
                let settings = settings(plugin.descriptor.name)
                if let worker = plugin.worker {
                    try worker.initialize(settings: settings)
                    let host = PluginHostTable(
                        pluginName: plugin.descriptor.name, path: plugin.path, settings: settings, logger: logger)
                    plugins.append(
                        LoadedPlugin(
                            path: plugin.path, sha256: plugin.sha256 ?? "unreadable", descriptor: plugin.descriptor,
                            host: host, worker: worker, placement: plugin.decision))
                } else {
                    plugins.append(
                        try initialize(
                            path: plugin.path, descriptor: plugin.descriptor, settings: settings, placement: plugin.decision))
                }
            } catch {
                try handle(error)
            }
        }
        return PluginSet(plugins: plugins, broken: broken, skipped: skipped, idle: idle)
    }

    /// Opens one file and reads its descriptor; calls nothing but the entry symbol.
    public func open(_ path: String) throws(PluginLoadError) -> PluginDescriptor {
        guard access(path, R_OK) == 0 else {
            throw PluginDiscovery.brokenLinkError(path)
                ?? PluginLoadError(.fileNotFound, path: path, "no such file, or not readable")
        }
        try PluginTrust.requireRegularFile(path)
        let absolute = FilePaths.absolute(path)
        guard let handle = dlopen(absolute, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw PluginLoadError(.notASharedLibrary, path: path, "cannot be loaded as a shared library: \(reason)")
        }
        _ = dlerror()
        guard let symbol = dlsym(handle, HH_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginLoadError(
                .entrySymbolMissing, path: path,
                "does not export \(HH_PLUGIN_ENTRY_SYMBOL): not a healthhost plugin, or built for another major ABI "
                    + "(in Swift the entry must be `@c(\(HH_PLUGIN_ENTRY_SYMBOL)) public func`; in C define it with HH_EXPORT, "
                    + "which keeps it visible under -fvisibility=hidden; in C++ include healthhost_plugin.h, whose "
                    + "extern \"C\" declaration keeps the name unmangled; `nm -D FILE | grep hh_` shows what it exports)")
        }
        let entry = unsafeBitCast(symbol, to: hh_plugin_entry_fn.self)
        guard let descriptor = entry() else {
            throw PluginLoadError(
                .entryReturnedNull, path: path, "\(HH_PLUGIN_ENTRY_SYMBOL)() returned NULL (the plugin refused to load)")
        }
        return try DescriptorReader(path: path).read(descriptor)
    }

    /// Runs `init` on a thread of its own, bounded by `plugins.init_timeout`: a hung
    /// `init` becomes a load error (the thread cannot be stopped and keeps its buffer).
    private func runInit(
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

    /// Whether `error` is dlopen failing for a shared library the file needs.
    private static func lacksASharedLibrary(_ error: PluginLoadError) -> Bool {
        error.code == .notASharedLibrary && error.message.contains("cannot open shared object file")
    }

    /// A plugin opened but not yet initialised: in-process, described by its worker, or
    /// only described (not used); `sha256` is set when a worker read the file.
    private struct Opened {
        let path: String
        let descriptor: PluginDescriptor
        let worker: PluginWorker?
        let sha256: String?
        var isUsed = true
        /// Where it runs and why (`nil` when it is not used).
        var decision: IsolationDecision? = nil
    }

    /// Opens `file` where its isolation says. That depends on the file's `origin`
    /// (bundled or not) and on the config's entry for its name, which only the plugin
    /// knows: with isolation on by default a worker opens every file and one that is to
    /// run in-process is opened again here; otherwise the file is opened here and handed
    /// to a worker if the config says so (before `init`, which is where plugins do their
    /// work). A plugin `isUsed` refuses goes no further than its description.
    private func openIsolatedOrNot(
        _ file: String, origin: PluginOrigin, described: Result<ParallelDescription.Described, PluginLoadError>?,
        isUsed: (PluginDescriptor) -> Bool
    ) throws(PluginLoadError) -> Opened {
        if isolation.defaultIsolation == .process {
            let worker: PluginWorker
            let descriptor: PluginDescriptor
            let sha256: String
            switch described {
            case .success(let result)?: (worker, descriptor, sha256) = (result.worker, result.descriptor, result.sha256)
            case .failure(let error)?: throw error
            case nil:
                worker = PluginWorker(path: file, policy: isolation, logger: logger)
                (descriptor, sha256) = try worker.describe()
            }
            guard isUsed(descriptor) else {
                worker.shutdown()
                return Opened(path: file, descriptor: descriptor, worker: nil, sha256: sha256, isUsed: false)
            }
            var origin = origin
            if case .bundled(_, let expected?) = origin, expected != sha256 {
                origin = .thirdParty("the file changed while it was loaded (SHA-256 \(sha256.prefix(16))…)")
            }
            let decision = isolation.decision(name: descriptor.name, origin: origin)
            if decision.isolation == .process {
                return Opened(path: file, descriptor: descriptor, worker: worker, sha256: sha256, decision: decision)
            }
            worker.shutdown()
            return Opened(path: file, descriptor: try open(file), worker: nil, sha256: nil, decision: decision)
        }
        let descriptor = try open(file)
        guard isUsed(descriptor) else {
            return Opened(path: file, descriptor: descriptor, worker: nil, sha256: nil, isUsed: false)
        }
        let decision = isolation.decision(name: descriptor.name, origin: origin)
        guard decision.isolation == .process else {
            return Opened(path: file, descriptor: descriptor, worker: nil, sha256: nil, decision: decision)
        }
        let worker = PluginWorker(path: file, policy: isolation, logger: logger)
        let (remote, sha256) = try worker.describe()
        return Opened(path: file, descriptor: remote, worker: worker, sha256: sha256, decision: decision)
    }

    func initialize(
        path: String, descriptor: PluginDescriptor, settings: PluginSettings, placement: IsolationDecision? = nil
    ) throws(PluginLoadError) -> LoadedPlugin {
        let host = PluginHostTable(pluginName: descriptor.name, path: path, settings: settings, logger: logger)
        if let initialize = descriptor.hooks.initialize {
            try runInit(initialize, host: host, settings: settings, path: path, name: descriptor.name)
        }
        let digest = FileDigest.sha256(ofFile: path) ?? "unreadable"
        return LoadedPlugin(path: path, sha256: digest, descriptor: descriptor, host: host, placement: placement)
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
