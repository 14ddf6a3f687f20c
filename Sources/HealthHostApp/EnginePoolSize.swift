import HealthConfig
import HealthCore
import HealthPluginLoader
import Logging

/// How many worker threads the engine gets. Each check has at most one call in flight
/// (single-flight, and a hung call blocks new ones), so one thread per check, plus one
/// per plugin info section and one for re-reading the secret file, means a database that
/// hangs every check of its plugin can never starve the others (the liveness check among
/// them) of a thread.
enum EnginePoolSize {
    /// The fewest threads the automatic size gives.
    static let minimum = 4
    /// The most threads the automatic size gives; beyond it, `engine.threads` decides.
    static let maximum = 256

    static func threads(
        for loaded: LoadedConfiguration, registry: CheckRegistry, plugins: PluginSet, logger: Logger
    ) -> Int {
        let infoSections = plugins.plugins.filter { $0.descriptor.infoSection != nil }.count
        let needed = registry.checks.count + infoSections + 1
        guard let configured = loaded.configuration.engine.threads else {
            if needed > maximum {
                logger.warning(
                    """
                    \(registry.checks.count) checks get \(maximum) worker threads: if more than \(maximum) hang at once, the others time out \
                    waiting for a thread; set engine.threads to size the pool yourself
                    """
                )
            }
            return min(maximum, max(minimum, needed))
        }
        if configured < registry.checks.count {
            let advice = """
                \(configured) worker threads for \(registry.checks.count) checks: if more than \(configured) checks hang at once, the others \
                time out waiting for a thread; unset it to size the pool automatically
                """
            logger.warning("\(loaded.error(at: ["engine", "threads"], advice))")
        }
        return configured
    }
}
