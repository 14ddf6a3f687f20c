import HealthCore
import HealthPOSIX
import Logging

/// The phases of ``PluginLoader/load(paths:demand:settings:)``, in order. Each failure is
/// handed to the ``LoadReport`` (which stops the load or records the plugin as broken).
extension PluginLoader {
    /// A plugin file found behind the configured paths.
    struct FoundFile {
        let path: String
        /// Found by listing a folder (not named in `plugins.paths` itself): such a file is
        /// only started when a check uses it, and may lack a system library.
        let isInFolder: Bool
    }

    /// A found file with what vetting decided: the origin it is opened with, or why it is
    /// never opened.
    struct Candidate {
        let file: FoundFile
        let vetting: Result<PluginOrigin, PluginLoadError>
    }

    // MARK: 1. Discover

    /// The plugin files behind `paths` (files, folders), each file once (after links).
    func discover(_ paths: [String], report: inout LoadReport) throws(PluginLoadError) -> [FoundFile] {
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
                try report.record(error)
            }
        }
        return files.map { FoundFile(path: $0, isInFolder: foundInFolders.contains($0)) }
    }

    // MARK: 2. Vet: trust, then bundled or third-party

    /// The trust rules for every file (one that fails them is never opened, not even by a
    /// worker), then its origin: bundled or third-party is decided by the file (its folder
    /// and digest) before anything is opened; the name a plugin declares never decides it.
    func vet(_ files: [FoundFile], digests: FileDigests) -> [Candidate] {
        if let unavailable = isolation.bundled.unavailable, let folder = isolation.bundled.folder,
            FileKind(folder) == .directory
        {
            logger.warning(
                "no plugin in \(folder) runs as a bundled plugin: \(unavailable)", metadata: ["plugin.path": "\(folder)"])
        }
        let trusted = files.map { file -> PluginLoadError? in
            do throws(PluginLoadError) {
                try trust.check(file.path, digests: digests)
                return nil
            } catch {
                return error
            }
        }
        return zip(files, trusted).map { file, trustError in
            if let trustError { return Candidate(file: file, vetting: .failure(trustError)) }
            return Candidate(file: file, vetting: .success(isolation.bundled.origin(of: file.path, digests: digests)))
        }
    }

    // MARK: 3. Describe in workers

    /// With isolation on by default, every vetted file's worker starts at once and says
    /// what the file is; otherwise nothing is described here.
    func describeInWorkers(_ candidates: [Candidate]) -> [String: Result<ParallelDescription.Described, PluginLoadError>] {
        guard isolation.defaultIsolation == .process else { return [:] }
        let trusted = candidates.compactMap { candidate -> String? in
            if case .success = candidate.vetting { return candidate.file.path }
            return nil
        }
        let isolation = self.isolation
        let logger = self.logger
        let results = ParallelDescription.describe(trusted) { PluginWorker(path: $0, policy: isolation, logger: logger) }
        var described: [String: Result<ParallelDescription.Described, PluginLoadError>] = [:]
        for (file, result) in zip(trusted, results) { described[file] = result }
        return described
    }

    // MARK: 4. Open, unique names

    /// Opens each vetted file where its isolation says (taking its worker from
    /// `described`); plugin names must be unique.
    func openAll(
        _ candidates: [Candidate], described: inout [String: Result<ParallelDescription.Described, PluginLoadError>],
        demand: PluginDemand, report: inout LoadReport
    ) throws(PluginLoadError) -> [Opened] {
        var opened: [Opened] = []
        for candidate in candidates {
            let file = candidate.file.path
            do throws(PluginLoadError) {
                let origin = try candidate.vetting.get()
                let plugin: Opened
                do throws(PluginLoadError) {
                    let named = !candidate.file.isInFolder
                    plugin = try openIsolatedOrNot(file, origin: origin, described: described.removeValue(forKey: file)) {
                        named || demand.wants($0)
                    }
                } catch  where candidate.file.isInFolder && Self.lacksASharedLibrary(error) {
                    // A bundled plugin whose system library is not installed (libpq,
                    // libmariadb, libcurl): the host starts without it. Naming the file
                    // in plugins.paths, or a check of it, still fails.
                    report.skip(file, because: error)
                    continue
                }
                if let other = opened.first(where: { $0.descriptor.name == plugin.descriptor.name }) {
                    plugin.worker?.shutdown()
                    throw PluginLoadError(
                        .duplicatePluginName, path: file,
                        "plugin name '\(plugin.descriptor.name)' is already used by \(other.path); plugin names must be unique",
                        pluginName: plugin.descriptor.name)
                }
                opened.append(plugin)
            } catch {
                try report.record(error)
            }
        }
        return opened
    }

    // MARK: 5. Initialise the plugins in use

    /// Runs `init` for every opened plugin a check uses (in its worker or here); the
    /// others are listed as idle.
    func start(
        _ opened: [Opened], settings: (String) -> PluginSettings, digests: FileDigests, report: inout LoadReport
    ) throws(PluginLoadError) -> PluginSet {
        var plugins: [LoadedPlugin] = []
        var idle: [IdlePlugin] = []
        for plugin in opened {
            let sha256 = plugin.sha256 ?? digests.sha256(ofFile: plugin.path) ?? "unreadable"
            guard plugin.isUsed else {
                logger.debug(
                    "not starting plugin \(plugin.descriptor.name): no configured check uses it",
                    metadata: ["plugin.path": "\(plugin.path)"])
                idle.append(IdlePlugin(path: plugin.path, sha256: sha256, descriptor: plugin.descriptor))
                continue
            }
            if let decision = plugin.decision { logPlacement(of: plugin, decision) }
            do throws(PluginLoadError) {
                let settings = settings(plugin.descriptor.name)
                if let worker = plugin.worker {
                    do throws(PluginLoadError) {
                        try worker.initialize(settings: settings)
                    } catch {
                        throw error.naming(plugin: plugin.descriptor.name)
                    }
                    let host = PluginHostTable(
                        pluginName: plugin.descriptor.name, path: plugin.path, settings: settings, logger: logger)
                    plugins.append(
                        LoadedPlugin(
                            path: plugin.path, sha256: sha256, descriptor: plugin.descriptor, host: host, worker: worker,
                            placement: plugin.decision))
                } else {
                    plugins.append(
                        try initialize(
                            path: plugin.path, descriptor: plugin.descriptor, settings: settings, placement: plugin.decision,
                            sha256: sha256))
                }
            } catch {
                try report.record(error)
            }
        }
        return PluginSet(plugins: plugins, broken: report.broken, skipped: report.skipped, idle: idle)
    }

    private func logPlacement(of plugin: Opened, _ decision: IsolationDecision) {
        logger.debug("plugin \(plugin.descriptor.name) runs \(decision.description)", metadata: ["plugin.path": "\(plugin.path)"])
        if BundledPlugins.pluginNames.contains(plugin.descriptor.name), !decision.isBundled {
            let message =
                "plugin \(plugin.path) calls itself '\(plugin.descriptor.name)', the name of a bundled plugin, "
                + "but is not the file installed with healthhost: it runs like any third-party plugin"
            logger.notice("\(message)", metadata: ["plugin.path": "\(plugin.path)"])
        }
    }
}
