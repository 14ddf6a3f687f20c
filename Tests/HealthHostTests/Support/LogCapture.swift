import Logging
import NIOConcurrencyHelpers

/// A logger whose lines the test can read: "LEVEL plugin=NAME message".
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    private let detailedLines = NIOLockedValueBox<[String]>([])

    /// Every line logged so far.
    var all: [String] { lines.withLockedValue { $0 } }

    /// Every line so far with the call's metadata after it: "LEVEL message key=value ...",
    /// keys sorted.
    var detailed: [String] { detailedLines.withLockedValue { $0 } }

    /// A logger at `level` writing into this capture.
    func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "healthhost-tests") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ line: String, metadata: Logger.Metadata?) {
        lines.withLockedValue { $0.append(line) }
        let details = (metadata ?? [:]).sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        detailedLines.withLockedValue { $0.append(line + details) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let plugin = metadata["plugin.name"].map { " plugin=\($0)" } ?? ""
            capture.append("\(event.level)\(plugin) \(event.message)", metadata: event.metadata)
        }
    }
}
