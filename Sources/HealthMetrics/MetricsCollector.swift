/// Something with samples for `/metrics`: asked by ``MetricsExposition`` at each
/// scrape, it writes its metric families and their samples, read from its own state as
/// of now. The state stays where it is kept (the engine's ``CheckStatistics``, the
/// request counters, a worker's or the span exporter's counts): nothing is copied into
/// types of this module first.
///
/// ```swift
/// struct QueueMetrics: MetricsCollector {
///     let queue: WorkQueue
///     func collect(into text: inout PrometheusText) {
///         text.family("myapp_queue_length", "gauge", help: "Items waiting.")
///         text.sample("myapp_queue_length", [], queue.count)
///     }
/// }
/// ```
///
/// Labels are fixed by the config or by the host (check, plugin, route, code, status):
/// never a message, URL or argument, so series stay few and no secret becomes a label.
public protocol MetricsCollector: Sendable {
    /// Writes this collector's families, each once, with their samples.
    func collect(into text: inout PrometheusText)
}
