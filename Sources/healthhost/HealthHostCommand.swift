#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import HealthHostApp
import HealthPluginLoader
import Logging

/// `healthhost`: serves health checks from C-ABI plugins.
struct HealthHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthhost",
        abstract: "A health-check host: loads check plugins and serves the health HTTP API.",
        version: HostApplication.version,
        subcommands: [ServeCommand.self, CheckCommand.self, PluginsCommand.self, ValidateCommand.self, WorkerCommand.self])
}

/// Options every command takes.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The YAML config file.")
    var config: String
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

/// Prints a start-up error to standard error and exits with `code`.
func reportStartupFailure(_ error: StartupError, code: Int32) -> ExitCode {
    writeToStandardError("healthhost: \(error)\n")
    return ExitCode(code)
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
