import HealthMetrics
import HealthOTLP
import HealthTracing

/// The `healthhost_trace_*` series, when `OTEL_*` variables turn tracing on: what the
/// span exporter has done (``SpanExportCounts``), read from it at each scrape.
struct TraceExportMetrics: MetricsCollector {
    let tracer: HostTracer

    /// Writes the `healthhost_trace_*` families.
    func collect(into out: inout PrometheusText) {
        let counts = tracer.counts
        out.family("healthhost_trace_spans_exported_total", "counter", help: "Spans the OTLP collector accepted.")
        out.sample("healthhost_trace_spans_exported_total", [], counts.exported)
        out.family(
            "healthhost_trace_spans_dropped_total", "counter",
            help:
                """
                Spans dropped: the export queue was full (queue_full) or their export failed (export_failed: not transient, or still failing when \
                OTEL_EXPORTER_OTLP_TIMEOUT ran out).
                """
        )
        out.sample("healthhost_trace_spans_dropped_total", [("reason", "queue_full")], counts.droppedQueueFull)
        out.sample("healthhost_trace_spans_dropped_total", [("reason", "export_failed")], counts.droppedExportFailed)
        out.family(
            "healthhost_trace_exports_failed_total", "counter",
            help: "Exports to the OTLP collector that failed (no answer in time, refused, or not a 2xx).")
        out.sample("healthhost_trace_exports_failed_total", [], counts.failedExports)
        out.family(
            "healthhost_trace_export_retries_total", "counter",
            help: "Export attempts made again after a transient failure (429, 502, 503, 504, no answer).")
        out.sample("healthhost_trace_export_retries_total", [], counts.retries)
        out.family("healthhost_trace_spans_queued", "gauge", help: "Spans in full batches waiting for their export.")
        out.sample("healthhost_trace_spans_queued", [], counts.queued)
    }
}
