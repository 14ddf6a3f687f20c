/// When ``SpanExporter`` sends a failed export again. The OTLP exporter specification
/// asks transient failures to be retried with exponential back-off and jitter; OTLP/HTTP
/// names the transient answers (429, 502, 503, 504, and no answer at all; over TLS, a
/// certificate refused is not transient) and lets the
/// collector say how long to wait (`Retry-After`). Every attempt stays inside the
/// export's own time (`OTEL_EXPORTER_OTLP_TIMEOUT`): the exporter gives up when the next
/// one would start past it, so a dead collector costs a few connection attempts per
/// export instead of one per batch, and never more time than one export had before.
struct ExportRetryPolicy: Sendable, Equatable {
    /// The wait after the first failure; each later one doubles, up to `maximumDelay`.
    var initialDelay: Duration = .milliseconds(250)
    /// The longest wait the back-off reaches.
    var maximumDelay: Duration = .seconds(5)

    /// Whether an answer with `status` is worth sending the export again for.
    static func isTransient(status: Int) -> Bool {
        status == 429 || status == 502 || status == 503 || status == 504
    }

    /// How long to wait before the attempt after `attempt` (1 for the first) failed: the
    /// collector's `Retry-After` when it sent one in seconds, else the back-off scaled by
    /// `jitter` (from 0.5 to 1: exporters restarted together do not retry in step).
    func delay(after attempt: Int, retryAfter: String?, jitter: Double) -> Duration {
        if let retryAfter, let seconds = Int(Self.trimmingSpaces(retryAfter)), seconds >= 0 {
            return .seconds(min(seconds, 3600))
        }
        var backOff = initialDelay
        for _ in 1..<max(1, min(attempt, 32)) where backOff < maximumDelay { backOff *= 2 }
        return min(backOff, maximumDelay) * min(1, max(0.5, jitter))
    }

    /// `text` without leading and trailing spaces and tabs.
    private static func trimmingSpaces(_ text: String) -> Substring {
        var text = Substring(text)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
