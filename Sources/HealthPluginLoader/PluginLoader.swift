import CProcessSupport
import HealthCore
import HealthPOSIX
import HealthPluginABI
public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Loads plugin files: `dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)`, the entry
/// symbol, ABI and descriptor validation, unique names, then each plugin's `init`.
///
/// Plugins are never unloaded: `dlclose` of an image with Swift code (or thread-local
/// destructors) crashes the process later, so even a plugin that fails validation
/// stays mapped (it was opened with `RTLD_NODELETE`).
///
/// ``load(paths:demand:settings:)`` runs in phases, one function each
/// (`PluginLoader+Phases.swift`): discover the files, vet them (trust rules, bundled or
/// third-party), describe them in workers, open them where their isolation says, then
/// initialise the ones in use.
public struct PluginLoader: Sendable {
    /// What to do when a plugin fails.
    public enum Policy: Sendable {
        /// Throw the first error (start-up stops).
        case failFast
        /// Log it, record it in ``PluginSet/broken`` and go on.
        case skipBroken
    }

    let logger: Logger
    let policy: Policy
    let isolation: IsolationPolicy
    let trust: PluginTrust

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
        try load(paths: paths, demand: demand, settings: settings, digests: FileDigests())
    }

    /// ``load(paths:demand:settings:)`` with the digests of this load in `digests` (each
    /// file is hashed at most once).
    func load(
        paths: [String], demand: PluginDemand, settings: (String) -> PluginSettings, digests: FileDigests
    ) throws(PluginLoadError) -> PluginSet {
        var report = LoadReport(policy: policy, logger: logger)
        let files = try discover(paths, report: &report)
        let candidates = vet(files, digests: digests)
        var described = describeInWorkers(candidates)
        // A worker described but not taken (start-up stopped at an earlier error) is stopped.
        defer {
            for case .success(let unused) in described.values { unused.worker.shutdown() }
        }
        let opened = try openAll(candidates, described: &described, demand: demand, report: &report)
        return try start(opened, settings: settings, digests: digests, report: &report)
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
                    + "extern \"C\" declaration keeps the name unmangled; `nm -D FILE | grep hh_` shows what it exports)",
                symbol: HH_PLUGIN_ENTRY_SYMBOL)
        }
        let entry = unsafeBitCast(symbol, to: hh_plugin_entry_fn.self)
        guard let descriptor = entry() else {
            throw PluginLoadError(
                .entryReturnedNull, path: path, "\(HH_PLUGIN_ENTRY_SYMBOL)() returned NULL (the plugin refused to load)",
                symbol: HH_PLUGIN_ENTRY_SYMBOL)
        }
        return try DescriptorReader(path: path).read(descriptor)
    }
}
