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
    public func services(server: HTTPServer, environment: [String: String]) -> [any Service] {
        var services: [any Service] = []
        if let tracer { services.append(TraceExportService(tracer: tracer)) }
        services.append(BackgroundRefreshService(engine: engine))
        if let reloader = secretReloader(environment: environment) { services.append(SecretReloadService(reloader: reloader)) }
        services.append(HostService(app: self, server: server))
        return services
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
