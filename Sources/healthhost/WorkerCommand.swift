import ArgumentParser
import HealthPluginLoader

/// `healthhost worker --plugin PATH`: the process an isolated plugin runs in, started by
/// `serve` (and `check`, `plugins`, `validate`) with its socket on descriptor 3. Not for
/// people: it speaks the worker protocol only.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run one isolated plugin for a healthhost process (internal).",
        shouldDisplay: false)

    @Option(help: "The plugin file.") var plugin: String

    func run() throws {
        let status = PluginWorkerMain.run(pluginPath: plugin)
        if status != 0 { throw ExitCode(status) }
    }
}
