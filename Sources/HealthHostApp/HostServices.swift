import HealthCore
import HealthHTTP
import HealthTracing
import Logging
import ServiceLifecycle

extension HostApplication {
    /// The long-running parts of a serving host, for one `ServiceGroup`, in the order it
    /// starts them; it shuts them down in reverse: first the HTTP server (readiness
    /// fails, `http.shutdown_delay`, then the drain), then the secret reloader, then the
    /// background refresh, last the trace exporter, which sends the final requests' spans.
    ///
    /// Under systemd (`notifier`, from `NOTIFY_SOCKET`) the host says when it is ready,
    /// reloading and stopping, and pings the watchdog (`WATCHDOG_USEC` in `environment`)
    /// while its event loops answer.
    public func services(server: HTTPServer, environment: [String: String], notifier: SystemdNotifier? = nil) -> [any Service] {
        var services: [any Service] = []
        if let notifier, let timeout = EventLoopWatchdog.timeout(environment: environment) {
            services.append(
                WatchdogService(
                    watchdog: EventLoopWatchdog(group: server.eventLoopGroup, notifier: notifier, timeout: timeout, logger: logger)))
        }
        if let tracer { services.append(TraceExportService(tracer: tracer)) }
        services.append(BackgroundRefreshService(engine: engine))
        if let reloader = secretReloader(environment: environment) { services.append(SecretReloadService(reloader: reloader)) }
        let checkCount = registry.checks.count
        services.append(
            ReloadSignalService(logger: logger, notifier: notifier, isShuttingDown: { [lifecycle] in lifecycle.isShuttingDown }) { [server] in
                Self.servingStatus(checks: checkCount, server: server)
            })
        services.append(HostService(app: self, server: server, notifier: notifier))
        return services
    }

    /// The `STATUS=` line while serving.
    static func servingStatus(checks: Int, server: HTTPServer) -> String {
        "serving \(checks) check(s) on \(server.listeningDescription)"
    }
}

/// Runs the checks that have an `interval` until shutdown.
struct BackgroundRefreshService: Service {
    let engine: CheckEngine

    func run() async throws {
        engine.startBackgroundRefresh()
        try? await gracefulShutdown()
        engine.stopBackgroundRefresh()
    }
}

/// Re-reads `auth.secret_file` until shutdown.
struct SecretReloadService: Service {
    let reloader: SecretFileReloader

    func run() async throws {
        await cancelWhenGracefulShutdown { await reloader.run() }
    }
}

/// Sends the spans still queued once everything before it has stopped.
struct TraceExportService: Service {
    let tracer: HostTracer

    func run() async throws {
        try? await gracefulShutdown()
        await tracer.shutdown(timeout: .seconds(2))
    }
}
