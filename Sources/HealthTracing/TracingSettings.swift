import HealthCore
public import HealthHTTP
public import HealthOTLP

#if canImport(Glibc)
import Glibc
#endif

/// Tracing as the standard OpenTelemetry environment variables configure it. Off unless
/// an OTLP endpoint is named (`OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or `OTEL_TRACES_EXPORTER=otlp`; always off with
/// `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `OTEL_EXPORTER_OTLP_ENDPOINT` | `http://localhost:4318` | base URL; spans go to `/v1/traces` under it; `https://` through libcurl, loaded then |
/// | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | | the full URL, used as given |
/// | `OTEL_EXPORTER_OTLP_PROTOCOL` (`_TRACES_`) | `http/protobuf` | the only one supported |
/// | `OTEL_EXPORTER_OTLP_COMPRESSION` (`_TRACES_`) | `none` | `gzip`: bodies sent with `Content-Encoding: gzip` |
/// | `OTEL_EXPORTER_OTLP_HEADERS` (`_TRACES_`) | | `key=value,...` sent with every export |
/// | `OTEL_EXPORTER_OTLP_CERTIFICATE` (`_TRACES_`) | the system's | `https://`: PEM certificates to verify the collector with |
/// | `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`, `_CLIENT_KEY` (`_TRACES_`) | | `https://`: the host's certificate and key (mutual TLS) |
/// | `OTEL_EXPORTER_OTLP_TIMEOUT` (`_TRACES_`) | `10000` | ms per export, its retries included |
/// | `OTEL_BSP_SCHEDULE_DELAY` | `5000` | ms between exports |
/// | `OTEL_BSP_MAX_QUEUE_SIZE` | `2048` | spans waiting at most; more are dropped |
/// | `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | `512` | spans per export |
/// | `OTEL_TRACES_SAMPLER` | `parentbased_always_on` | `always_on`, `always_off`, `traceidratio`, `parentbased_*` |
/// | `OTEL_TRACES_SAMPLER_ARG` | `1.0` | the ratio of `traceidratio` |
/// | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | | the resource (see the host's resource attributes) |
public struct TracingSettings: Sendable, Equatable {
    /// Where spans are POSTed.
    public var endpoint: HTTPTarget
    /// Extra headers of every export (an API key, say); never logged.
    public var headers: [(name: String, value: String)]
    /// Time allowed per export.
    public var exportTimeout: Duration
    /// Time between exports.
    public var scheduleDelay: Duration
    /// Spans waiting at most.
    public var maxQueueSize: Int
    /// Spans per export at most.
    public var maxExportBatchSize: Int
    /// Which traces are recorded.
    public var sampler: Sampler
    /// How export bodies are encoded.
    public var compression: Compression = .none
    /// The TLS files of an `https://` collector.
    public var tls = TLSFiles()

    /// The files an `https://` export is made with (the exporter's type).
    public typealias TLSFiles = ExportTLSFiles

    /// How export bodies are encoded (the exporter's type).
    public typealias Compression = ExportCompression

    /// Which traces are recorded and exported.
    public enum Sampler: Sendable, Equatable {
        /// Every trace.
        case alwaysOn
        /// None.
        case alwaysOff
        /// A share of traces, decided by the trace id (so every host agrees).
        case ratio(Double)
        /// As the caller's `traceparent` says when there is one, else `root`.
        indirect case parentBased(root: Sampler)

        /// The sampler deciding for spans without a parent.
        var root: Sampler {
            if case .parentBased(let root) = self { return root.root }
            return self
        }
    }

    public static func == (lhs: TracingSettings, rhs: TracingSettings) -> Bool {
        lhs.endpoint == rhs.endpoint && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value) && lhs.exportTimeout == rhs.exportTimeout
            && lhs.scheduleDelay == rhs.scheduleDelay && lhs.maxQueueSize == rhs.maxQueueSize
            && lhs.maxExportBatchSize == rhs.maxExportBatchSize && lhs.sampler == rhs.sampler
            && lhs.compression == rhs.compression && lhs.tls == rhs.tls
    }

    /// What the OTLP exporter needs of these settings.
    var export: SpanExportSettings {
        SpanExportSettings(
            endpoint: endpoint, headers: headers, exportTimeout: exportTimeout, scheduleDelay: scheduleDelay,
            maxQueueSize: maxQueueSize, maxExportBatchSize: maxExportBatchSize, compression: compression, tls: tls)
    }

    /// A setting that cannot be used, naming the variable, what was expected and found.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// The settings `environment` gives; `nil` when tracing is off.
    public static func from(environment: [String: String]) throws(Problem) -> TracingSettings? {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingSpaces, !text.isEmpty else { return nil }
            return text
        }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" { return nil }
        let exporter = value("OTEL_TRACES_EXPORTER")?.lowercased()
        if exporter == "none" { return nil }
        if let exporter, exporter != "otlp" {
            throw Problem(description: "OTEL_TRACES_EXPORTER: expected 'otlp' or 'none', found '\(exporter)'")
        }
        let tracesEndpoint = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        let baseEndpoint = value("OTEL_EXPORTER_OTLP_ENDPOINT")
        guard exporter == "otlp" || tracesEndpoint != nil || baseEndpoint != nil else { return nil }

        /// An exporter setting: `OTEL_EXPORTER_OTLP_TRACES_<suffix>`, else the one for
        /// every signal, with the name of the variable that gave it.
        func exporterSetting(_ suffix: String) -> (name: String, value: String)? {
            for name in ["OTEL_EXPORTER_OTLP_TRACES_\(suffix)", "OTEL_EXPORTER_OTLP_\(suffix)"] {
                if let text = value(name) { return (name, text) }
            }
            return nil
        }
        if let (name, protocolName) = exporterSetting("PROTOCOL"), protocolName != "http/protobuf" {
            throw Problem(
                description: "\(name): healthhost exports OTLP over HTTP with protobuf; expected 'http/protobuf', found '\(protocolName)'")
        }
        var compression = Compression.none
        if let (name, text) = exporterSetting("COMPRESSION") {
            guard let chosen = Compression(rawValue: text.lowercased()) else {
                throw Problem(description: "\(name): expected 'gzip' or 'none', found '\(text)'")
            }
            compression = chosen
        }
        let endpoint: HTTPTarget
        let endpointName = tracesEndpoint != nil ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT"
        do {
            if let tracesEndpoint {
                endpoint = try HTTPTarget.parse(tracesEndpoint, defaultPath: "/v1/traces", allowingHTTPS: true)
            } else {
                let base = baseEndpoint ?? "http://localhost:4318"
                let parsed = try HTTPTarget.parse(base, defaultPath: "/", allowingHTTPS: true)
                let path = parsed.pathAndQuery.hasSuffix("/") ? String(parsed.pathAndQuery.dropLast()) : parsed.pathAndQuery
                endpoint = HTTPTarget(
                    host: parsed.host, port: parsed.port, pathAndQuery: path + "/v1/traces", isHTTPS: parsed.isHTTPS)
            }
        } catch {
            throw Problem(description: "\(endpointName): \(error.description)")
        }
        var tls = TLSFiles()
        if endpoint.isHTTPS {
            do {
                try HTTPSExportClient.load()
            } catch {
                throw Problem(description: "\(endpointName): an https:// collector needs libcurl: \(error.description)")
            }
            tls = try tlsFiles(exporterSetting)
        }
        let headers =
            try exporterSetting("HEADERS").map { (name, text) throws(Problem) in
                try keyValueList(text, variable: name)
            } ?? []

        func milliseconds(_ names: [String], default fallback: Int) throws(Problem) -> Duration {
            for name in names {
                guard let text = value(name) else { continue }
                guard let number = Int(text), number > 0, number <= 3_600_000 else {
                    throw Problem(description: "\(name): expected milliseconds from 1 to 3600000, found '\(text)'")
                }
                return .milliseconds(number)
            }
            return .milliseconds(fallback)
        }
        func count(_ name: String, default fallback: Int) throws(Problem) -> Int {
            guard let text = value(name) else { return fallback }
            guard let number = Int(text), number > 0, number <= 1_000_000 else {
                throw Problem(description: "\(name): expected a count from 1 to 1000000, found '\(text)'")
            }
            return number
        }
        let maxQueueSize = try count("OTEL_BSP_MAX_QUEUE_SIZE", default: 2048)
        let maxBatch = try count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", default: 512)
        return TracingSettings(
            endpoint: endpoint, headers: headers,
            exportTimeout: try milliseconds(["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"], default: 10_000),
            scheduleDelay: try milliseconds(["OTEL_BSP_SCHEDULE_DELAY"], default: 5000), maxQueueSize: maxQueueSize,
            maxExportBatchSize: min(maxBatch, maxQueueSize),
            sampler: try sampler(value("OTEL_TRACES_SAMPLER"), argument: value("OTEL_TRACES_SAMPLER_ARG")),
            compression: compression, tls: tls)
    }

    /// The TLS files the variables name (`setting` finds one by its suffix), each checked
    /// to be readable; a client certificate and its key come together.
    private static func tlsFiles(_ setting: (String) -> (name: String, value: String)?) throws(Problem) -> TLSFiles {
        func file(_ suffix: String) throws(Problem) -> (name: String, path: String)? {
            guard let (name, path) = setting(suffix) else { return nil }
            guard access(path, R_OK) == 0 else {
                throw Problem(description: "\(name): cannot read '\(path)': \(String(cString: strerror(errno)))")
            }
            return (name, path)
        }
        let authorities = try file("CERTIFICATE")
        let certificate = try file("CLIENT_CERTIFICATE")
        let key = try file("CLIENT_KEY")
        if let certificate, key == nil {
            throw Problem(description: "\(certificate.name) is set but OTEL_EXPORTER_OTLP_CLIENT_KEY is not: a client certificate needs its key")
        }
        if let key, certificate == nil {
            throw Problem(description: "\(key.name) is set but OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is not: a client key needs its certificate")
        }
        return TLSFiles(certificateAuthorities: authorities?.path, clientCertificate: certificate?.path, clientKey: key?.path)
    }

    private static func sampler(_ name: String?, argument: String?) throws(Problem) -> Sampler {
        func ratio() throws(Problem) -> Double {
            guard let argument else { return 1 }
            guard let ratio = Double(argument), ratio >= 0, ratio <= 1 else {
                throw Problem(description: "OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1, found '\(argument)'")
            }
            return ratio
        }
        switch name?.lowercased() ?? "parentbased_always_on" {
        case "always_on": return .alwaysOn
        case "always_off": return .alwaysOff
        case "traceidratio": return .ratio(try ratio())
        case "parentbased_always_on": return .parentBased(root: .alwaysOn)
        case "parentbased_always_off": return .parentBased(root: .alwaysOff)
        case "parentbased_traceidratio": return .parentBased(root: .ratio(try ratio()))
        case let other:
            throw Problem(
                description:
                    """
                    OTEL_TRACES_SAMPLER: expected always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or \
                    parentbased_traceidratio, found '\(other)'
                    """
            )
        }
    }

    /// `key=value,key2=value2`, values percent-decoded (the W3C Baggage format the spec uses).
    static func keyValueList(_ text: String, variable: String) throws(Problem) -> [(name: String, value: String)] {
        var pairs: [(String, String)] = []
        for item in text.split(separator: ",") where !item.trimmingSpaces.isEmpty {
            guard let equals = item.firstIndex(of: "=") else {
                throw Problem(
                    description: "\(variable): expected key=value pairs separated by commas, found '\(item.trimmingSpaces)' (values are not shown)")
            }
            let key = String(item[..<equals]).trimmingSpaces
            let rawValue = String(item[item.index(after: equals)...]).trimmingSpaces
            guard !key.isEmpty, let decoded = PercentDecoding.decode(Substring(rawValue)) else {
                throw Problem(description: "\(variable): the entry for '\(key)' is not a key with a percent-encoded value")
            }
            pairs.append((key, decoded))
        }
        return pairs
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
