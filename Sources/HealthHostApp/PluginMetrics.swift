import HealthMetrics
import HealthPluginLoader

/// The `healthhost_plugin_*` series: each loaded plugin's version and ABI, and for an
/// isolated plugin its worker's deaths, restarts and quarantine, read from the worker's
/// own statistics at each scrape.
struct PluginMetrics: MetricsCollector {
    let plugins: [LoadedPlugin]

    /// Writes `healthhost_plugin_info` and the worker families.
    func collect(into out: inout PrometheusText) {
        out.family("healthhost_plugin_info", "gauge", help: "Always 1 per loaded plugin; the labels say its version and ABI.")
        for plugin in plugins {
            let descriptor = plugin.descriptor
            out.sample(
                "healthhost_plugin_info",
                [("plugin", plugin.name), ("version", descriptor.version), ("abi", descriptor.abiVersion.description)], 1)
        }
        let workers = plugins.compactMap { plugin in plugin.workerStatistics.map { (plugin.name, $0) } }
        out.family("healthhost_plugin_worker_deaths_total", "counter", help: "Times the isolated plugin's worker process died.")
        for (name, counts) in workers { out.sample("healthhost_plugin_worker_deaths_total", [("plugin", name)], counts.deaths) }
        out.family("healthhost_plugin_worker_restarts_total", "counter", help: "Times a new worker was started after one died.")
        for (name, counts) in workers { out.sample("healthhost_plugin_worker_restarts_total", [("plugin", name)], counts.restarts) }
        out.family("healthhost_plugin_worker_quarantined", "gauge", help: "1 when too many deaths stopped the worker's restarts.")
        for (name, counts) in workers {
            out.sample("healthhost_plugin_worker_quarantined", [("plugin", name)], counts.isQuarantined ? 1 : 0)
        }
    }
}
