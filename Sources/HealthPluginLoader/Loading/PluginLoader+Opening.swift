import HealthCore

/// Opening one vetted file: in a worker, in this process, or both (a worker describes
/// every file when isolation is on by default, and one to run in-process is opened again).
extension PluginLoader {
    /// A plugin opened but not yet initialised: in-process, described by its worker, or
    /// only described (not used); `sha256` is set when a worker read the file.
    struct Opened {
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
    func openIsolatedOrNot(
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
            // The worker's digest is the file's: the in-process load needs no second read.
            return Opened(path: file, descriptor: try open(file), worker: nil, sha256: sha256, decision: decision)
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

    /// Whether `error` is dlopen failing for a shared library the file needs.
    static func lacksASharedLibrary(_ error: PluginLoadError) -> Bool {
        error.code == .notASharedLibrary && error.message.contains("cannot open shared object file")
    }
}
