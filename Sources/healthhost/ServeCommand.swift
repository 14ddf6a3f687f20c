import CProcessSupport
import HealthConfig
import HealthCore
import HealthHostApp
import HealthPOSIX
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// `healthhost serve`: load plugins and serve the HTTP API until SIGTERM or SIGINT.
enum ServeCommand {
    static let spec = CommandSpec(
        name: "serve", abstract: "Load the plugins and serve the health HTTP API until SIGTERM or SIGINT.",
        options: [
            HealthHostCommand.configOption,
            .init(name: "host", help: "Listen on this address instead of listen.host."),
            .init(name: "port", help: "Listen on this port instead of listen.port (0 picks a free port)."),
        ])

    static func run(_ values: [String: String]) async -> Int32 {
        var port: Int?
        if let text = values["port"] {
            guard let number = Int(text) else {
                writeToStandardError(HealthHostCommand.parser.invalidValue(text, for: "port", of: spec.name))
                return 64
            }
            port = number
        }
        // SIGHUP while the plugins load would end the host (the default action); from
        // serving on, the reload service answers it.
        signal(SIGHUP, SIG_IGN)
        let environment = CurrentProcess.environment
        let notifier = SystemdNotifier(environment: environment)
        notifier?.status("loading the configuration and plugins")
        defer { notifier?.flush() }
        let logger = CommandLogging.serveLogger
        defer { CommandLogging.serveWriter.flush() }
        let app: HostApplication
        do {
            app = try HostApplication.build(
                configFile: values["config"] ?? "",
                options: .init(host: values["host"], port: port, environment: CurrentProcess.environment),
                logger: logger)
        } catch {
            notifier?.status("start-up failed: \(error)")
            return reportStartupFailure(error, code: 1)
        }
        app.logSummary()
        // Start-up's garbage (the config tree, plugin descriptions, the threads that
        // described plugins) is freed but kept by malloc in per-thread arenas: hand the
        // free pages back before serving for as long as the pod lives.
        _ = hh_release_free_heap()
        let server = app.makeServer()
        let group = app.serviceGroup(
            server: server, environment: environment, notifier: notifier, gracefulShutdownSignals: [.sigterm, .sigint])
        do {
            try await group.run()
        } catch {
            let listen = app.loaded.configuration.listen
            writeToStandardError("healthhost: cannot serve on \(listen.host):\(listen.port): \(error)\n")
            notifier?.status("cannot serve on \(listen.host):\(listen.port): \(error)")
            app.shutdown()
            return 1
        }
        app.shutdown()
        app.logger.info("stopped")
        return 0
    }
}
