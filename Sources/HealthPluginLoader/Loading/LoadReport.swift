import Logging

/// What a load has given up on so far, and whether it may go on: with
/// ``PluginLoader/Policy/skipBroken`` a failed plugin is logged and recorded, with
/// ``PluginLoader/Policy/failFast`` it stops the load.
struct LoadReport {
    let policy: PluginLoader.Policy
    let logger: Logger
    /// Plugins that failed (only with `skipBroken`).
    private(set) var broken: [BrokenPlugin] = []
    /// Files found in a folder that need a shared library this system lacks.
    private(set) var skipped: [BrokenPlugin] = []

    init(policy: PluginLoader.Policy, logger: Logger) {
        self.policy = policy
        self.logger = logger
    }

    /// Throws `error` with `failFast`; otherwise logs and records it.
    mutating func record(_ error: PluginLoadError) throws(PluginLoadError) {
        guard policy == .skipBroken else { throw error }
        logger.error("skipping broken plugin: \(error)", metadata: ["plugin.path": "\(error.path)"])
        broken.append(BrokenPlugin(path: error.path, error: error))
    }

    /// Records a file left out because a shared library it needs is not installed.
    mutating func skip(_ file: String, because error: PluginLoadError) {
        logger.warning(
            "skipping plugin \(file): \(error.message); install the library it needs to use it", metadata: ["plugin.path": "\(file)"])
        skipped.append(BrokenPlugin(path: file, error: error))
    }
}
