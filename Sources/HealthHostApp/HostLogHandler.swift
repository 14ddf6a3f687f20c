public import HealthConfig
import HealthJSON
public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The host's log lines, as text or JSON (`logging.format`), handed to a sink (the
/// ``LogWriter``'s queue when serving). The format is chosen once the config is read,
/// after the logging system was bootstrapped, so it lives in ``LogFormatSwitch``.
///
/// - text, as swift-log's `StreamLogHandler` writes it:
///   `2026-12-02T00:42:42+0000 warning healthhost: check.name=db check.status=fail [HealthCore] check status changed to fail`
/// - json, one object per line, the metadata as fields:
///   `{"check.name":"db","check.status":"fail","level":"warning","logger":"healthhost","message":"check status changed to fail","source":"HealthCore","time":"2026-12-02T00:42:42.123Z"}`
public struct HostLogHandler: LogHandler {
    private let label: String
    private let format: LogFormatSwitch
    private let sink: @Sendable (String) -> Void
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info

    /// A handler for `label` writing whole lines (with their newline) to `sink`.
    public init(label: String, format: LogFormatSwitch = .shared, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.format = format
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        switch format.current {
        case .text: sink(Self.text(event, label: label, metadata: merged))
        case .json: sink(Self.json(event, label: label, metadata: merged))
        }
    }

    static func text(_ event: LogEvent, label: String, metadata: Logger.Metadata) -> String {
        let fields = metadata.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        return "\(LogTime.now().local) \(event.level) \(label):\(fields) [\(event.source)] \(event.message)\n"
    }

    static func json(_ event: LogEvent, label: String, metadata: Logger.Metadata) -> String {
        var object: [String: JSONValue] = [:]
        for (key, value) in metadata { object[key] = json(value) }
        // The fixed fields win; a metadata key of the same name keeps its value under `metadata.`.
        let fixed: [String: JSONValue] = [
            "time": .string(LogTime.now().utc), "level": .string(event.level.rawValue), "logger": .string(label),
            "source": .string(event.source), "message": .string("\(event.message)"),
        ]
        for (key, value) in fixed {
            if let clash = object[key] { object["metadata.\(key)"] = clash }
            object[key] = value
        }
        return JSONValue.object(object).text + "\n"
    }

    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let items): .array(items.map(json))
        case .dictionary(let entries): .object(entries.mapValues(json))
        }
    }
}

/// The process's log format, switched once the config names one.
public final class LogFormatSwitch: Sendable {
    /// The one the `healthhost` command's handlers read.
    public static let shared = LogFormatSwitch()
    private let isJSON = Atomic<Bool>(false)

    /// Text until told otherwise.
    public init() {}

    /// The format lines are written in now.
    public var current: LoggingConfiguration.LogFormat { isJSON.load(ordering: .relaxed) ? .json : .text }

    /// Switches the format.
    public func set(_ format: LoggingConfiguration.LogFormat) { isJSON.store(format == .json, ordering: .relaxed) }
}

/// The current time as log lines show it.
struct LogTime {
    private let seconds: time_t
    private let milliseconds: Int

    static func now() -> LogTime {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return LogTime(seconds: now.tv_sec, milliseconds: Int(now.tv_nsec / 1_000_000))
    }

    /// Local time with offset, as `StreamLogHandler`: `2026-12-02T00:42:42+0000`.
    var local: String {
        var seconds = self.seconds
        var parts = tm()
        localtime_r(&seconds, &parts)
        return Self.format(parts, "%Y-%m-%dT%H:%M:%S%z")
    }

    /// UTC with milliseconds: `2026-12-02T00:42:42.123Z`.
    var utc: String {
        var seconds = self.seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let fraction = String(milliseconds + 1000).dropFirst()
        return Self.format(parts, "%Y-%m-%dT%H:%M:%S") + ".\(fraction)Z"
    }

    private static func format(_ parts: tm, _ pattern: String) -> String {
        var parts = parts
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
