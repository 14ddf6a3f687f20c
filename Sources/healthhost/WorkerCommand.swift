import HealthPluginLoader

/// `healthhost worker --plugin PATH --host-pid PID`: the process an isolated plugin runs in, started by
/// `serve` (and `check`, `plugins`, `validate`) with its socket on descriptor 3. Not for
/// people: it speaks the worker protocol only.
enum WorkerCommand {
    static let spec = CommandSpec(
        name: "worker", abstract: "Run one isolated plugin for a healthhost process (internal).",
        options: [
            .init(name: "plugin", help: "The plugin file.", isRequired: true),
            .init(name: "host-pid", help: "The process id of the host that started this worker."),
        ], isHidden: true)

    static func run(_ values: [String: String]) -> Int32 {
        PluginWorkerMain.run(pluginPath: values["plugin"] ?? "", hostPID: values["host-pid"].flatMap { Int32($0) })
    }
}
