import FoundationEssentials
import ArgumentParser
import HealthHostApp
import ServiceLifecycle
import CProcessSupport

/// `healthhost serve`: load plugins and serve the HTTP API until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Load the plugins and serve the health HTTP API until SIGTERM or SIGINT.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Listen on this address instead of listen.host.") var host: String?
    @Option(help: "Listen on this port instead of listen.port (0 picks a free port).") var port: Int?

    func run() async throws {
        let logger = CommandLogging.serveLogger
        defer { CommandLogging.serveWriter.flush() }
        let app: HostApplication
        do {
            app = try HostApplication.build(
                configFile: options.config,
                options: .init(host: host, port: port, environment: ProcessInfo.processInfo.environment),
                logger: logger)
        } catch {
            throw reportStartupFailure(error, code: 1)
        }
        app.logSummary()
        // Start-up's garbage (the config tree, plugin descriptions, the threads that
        // described plugins) is freed but kept by malloc in per-thread arenas: hand the
        // free pages back before serving for as long as the pod lives.
        _ = hh_release_free_heap()
        let server = app.makeServer()
        let services = app.services(server: server, environment: ProcessInfo.processInfo.environment)
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: app.logger))
        do {
            try await group.run()
        } catch {
            let listen = app.loaded.configuration.listen
            writeToStandardError("healthhost: cannot serve on \(listen.host):\(listen.port): \(error)\n")
            app.shutdown()
            throw ExitCode(1)
        }
        app.shutdown()
        app.logger.info("stopped")
    }
}
