#if canImport(Glibc)
import Glibc
#endif
import HealthHostApp
import HealthPluginLoader
import Logging

/// `healthhost`: serves health checks from C-ABI plugins.
enum HealthHostCommand {
    static let parser = CommandLineParser(
        program: "healthhost",
        abstract: "A health-check host: loads check plugins and serves the health HTTP API.",
        version: HostApplication.version,
        commands: [ServeCommand.spec, CheckCommand.spec, PluginsCommand.spec, ValidateCommand.spec, WorkerCommand.spec],
        documentationHeading: "DOCUMENTATION: README.md, then docs/ (installed: /usr/share/doc/healthhost/)",
        documentation: [
            .init(topic: "Configuration", path: "docs/configuration.md: every key, its default, how checks run"),
            .init(topic: "HTTP API", path: "docs/http-api.md: every endpoint, status code and header"),
            .init(topic: "Writing plugins", path: "docs/plugins-c.md (C), docs/plugins-swift.md (Swift)"),
            .init(topic: "Plugin loading", path: "docs/plugins.md: which files load, where each one runs"),
            .init(topic: "Bundled checks", path: "docs/bundled-checks.md: every check's arguments"),
            .init(topic: "Deployment", path: "docs/deployment.md: packages, systemd, containers, Kubernetes"),
            .init(topic: "Operating", path: "docs/operating.md: when something is wrong, logs, signals, metrics"),
            .init(topic: "Man pages", path: "healthhost(1), healthhost.yaml(5)"),
        ],
        seeAlso: [
            "serve": "docs/configuration.md (every key), docs/http-api.md (the endpoints), docs/operating.md (logs, signals).",
            "check": "docs/operating.md (the exit codes), docs/deployment.md (as a Kubernetes exec probe).",
            "plugins": "docs/plugins.md (where each plugin runs, and why), docs/bundled-checks.md.",
            "validate": "docs/configuration.md (every key and its default).",
        ])

    /// The option every command but `worker` takes.
    static let configOption = CommandSpec.Option(name: "config", help: "The YAML config file.", isRequired: true)

    /// Parses the command line, runs the command; the process's exit status.
    static func main(_ arguments: [String]) async -> Int32 {
        switch parser.parse(arguments) {
        case .print(let text):
            print(text, terminator: "")
            return 0
        case .usageError(let text):
            writeToStandardError(text)
            return 64
        case .run(let command, let values):
            switch command {
            case ServeCommand.spec.name: return await ServeCommand.run(values)
            case CheckCommand.spec.name: return await CheckCommand.run(values)
            case PluginsCommand.spec.name: return await PluginsCommand.run(values)
            case ValidateCommand.spec.name: return await ValidateCommand.run(values)
            case WorkerCommand.spec.name: return WorkerCommand.run(values)
            default: return 64
            }
        }
    }
}

/// The process-wide logger: standard error, level from the config.
enum CommandLogging {
    /// For the short commands (`check`, `plugins`, `validate`): lines written at once.
    static let logger: Logger = {
        LoggingSystem.bootstrap { label in
            HostLogHandler(label: label) { line in
                var stream = StandardErrorStream()
                stream.write(line)
            }
        }
        return Logger(label: "healthhost")
    }()

    /// For `serve`: lines go through a bounded queue to a writer thread, so a stalled
    /// standard error never stalls the server (see `LogWriter`). It writes to the real
    /// standard error; what in-process plugins write to 1 and 2 goes through
    /// `StandardStreamGuard`, which can never block them or the host's exit.
    static let serveWriter = LogWriter(fileDescriptor: StandardStreamGuard.install())
    static let serveLogger: Logger = {
        let stream = serveWriter.stream
        LoggingSystem.bootstrap { label in
            HostLogHandler(label: label) { line in
                var stream = stream
                stream.write(line)
            }
        }
        return Logger(label: "healthhost")
    }()
}

/// Prints a start-up error to standard error; `code`, the exit status to end with.
func reportStartupFailure(_ error: StartupError, code: Int32) -> Int32 {
    writeToStandardError("healthhost: \(error)\n")
    return code
}

/// Writes `text` to standard error at once (no buffering), all of it; to the real one when
/// `serve` has put the plugins' output guard on descriptor 2 (so a start-up error printed
/// just before exit is not left in the guard's pipe).
func writeToStandardError(_ text: String) {
    let descriptor = StandardStreamGuard.realStandardError
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}

/// Writes straight to standard error (one write per line), for the short commands.
struct StandardErrorStream: TextOutputStream {
    mutating func write(_ string: String) {
        writeToStandardError(string)
    }
}
