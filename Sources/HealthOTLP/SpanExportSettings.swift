package import HealthHTTP

/// What the OTLP exporter is told by the host's tracing settings (the `OTEL_EXPORTER_OTLP_*`
/// and `OTEL_BSP_*` variables): where and how batches go, and how big they grow.
package struct SpanExportSettings: Sendable {
    /// Where spans are POSTed (`https://` through libcurl).
    package var endpoint: HTTPTarget
    /// Extra headers of every export; never logged.
    package var headers: [(name: String, value: String)]
    /// Time allowed per export, its retries included.
    package var exportTimeout: Duration
    /// Time between exports.
    package var scheduleDelay: Duration
    /// Spans waiting at most; more are dropped.
    package var maxQueueSize: Int
    /// Spans per export at most.
    package var maxExportBatchSize: Int
    /// How export bodies are encoded.
    package var compression: ExportCompression
    /// The TLS files of an `https://` collector.
    package var tls: ExportTLSFiles

    /// Settings with these values.
    package init(
        endpoint: HTTPTarget, headers: [(name: String, value: String)], exportTimeout: Duration, scheduleDelay: Duration,
        maxQueueSize: Int, maxExportBatchSize: Int, compression: ExportCompression, tls: ExportTLSFiles
    ) {
        self.endpoint = endpoint
        self.headers = headers
        self.exportTimeout = exportTimeout
        self.scheduleDelay = scheduleDelay
        self.maxQueueSize = maxQueueSize
        self.maxExportBatchSize = maxExportBatchSize
        self.compression = compression
        self.tls = tls
    }
}

/// How export bodies are encoded (`OTEL_EXPORTER_OTLP_COMPRESSION`).
public enum ExportCompression: String, Sendable, Equatable {
    /// As they are.
    case none
    /// gzip (`Content-Encoding: gzip`), compressed off the event loops.
    case gzip
}

/// The files an `https://` export is made with (`OTEL_EXPORTER_OTLP_CERTIFICATE`,
/// `_CLIENT_CERTIFICATE`, `_CLIENT_KEY`; PEM). Unused with `http://`.
public struct ExportTLSFiles: Sendable, Equatable {
    /// The certificates the collector's is verified against; `nil`: the system's.
    public var certificateAuthorities: String?
    /// The host's own certificate, for a collector that asks for one (mutual TLS).
    public var clientCertificate: String?
    /// That certificate's private key.
    public var clientKey: String?

    /// No files: the system's certificate store, no client certificate.
    public init(certificateAuthorities: String? = nil, clientCertificate: String? = nil, clientKey: String? = nil) {
        self.certificateAuthorities = certificateAuthorities
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }
}
