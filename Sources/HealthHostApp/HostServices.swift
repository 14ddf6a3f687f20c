import HealthCore
public import HealthHTTP
import HealthTracing
import Logging
public import ServiceLifecycle
public import UnixSignals

extension HostApplication {
    /// The `ServiceGroup` that serves this host with `server`: what `healthhost serve` runs
    /// until SIGTERM or SIGINT (its `gracefulShutdownSignals`), and what the tests' hosts
    /// run in process (``serving(server:environment:_:)``, no signals).
    public func serviceGroup(
        server: HTTPServer, environment: [String: String], notifier: SystemdNotifier? = nil,
        gracefulShutdownSignals: [UnixSignal] = []
    ) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(
                services: services(server: server, environment: environment, notifier: notifier).map { .init(service: $0) },
                gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
    }

    /// Serves in process while `body` runs, through the ``serviceGroup(server:environment:notifier:gracefulShutdownSignals:)``
    /// `serve` runs; then shuts the group down gracefully, as SIGTERM would, and waits for
    /// it. Start `server` first when `body` needs its port (`start()` binds once).
    public func serving<Value>(
        server: HTTPServer, environment: [String: String], _ body: () async throws -> Value
    ) async throws -> Value {
        let group = serviceGroup(server: server, environment: environment)
        async let running: Void = group.run()
        let outcome: Result<Value, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try? await running
        return try outcome.get()
    }

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
