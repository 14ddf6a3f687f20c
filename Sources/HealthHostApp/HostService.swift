import HealthConfig
import HealthCore
public import HealthHTTP
import Logging
public import ServiceLifecycle

/// `healthhost serve` as a service: serves until SIGTERM/SIGINT, then marks the host as
/// shutting down (readiness fails at once, liveness keeps passing), keeps serving for
/// `http.shutdown_delay` so Kubernetes takes the pod out of its endpoints, and only then
/// closes the listener.
public struct HostService: Service {
    private let app: HostApplication
    private let server: HTTPServer
    private let notifier: SystemdNotifier?

    /// Creates the service for `app`'s server; `notifier` is told when the listener is
    /// open (`READY=1`) and when the drain begins (`STOPPING=1`).
    public init(app: HostApplication, server: HTTPServer, notifier: SystemdNotifier? = nil) {
        self.app = app
        self.server = server
        self.notifier = notifier
    }

    public func run() async throws {
        let delay = app.loaded.configuration.http.shutdownDelay
        let app = self.app
        let server = self.server
        let notifier = self.notifier
        try await server.start()
        notifier?.ready(status: HostApplication.servingStatus(checks: app.registry.checks.count, server: server))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            group.addTask {
                // Throws when cancelled (the server failed): nothing to drain then.
                try await gracefulShutdown()
                app.lifecycle.beginShutdown()
                notifier?.stopping(status: "shutting down: readiness fails, then the open connections drain")
                if delay > .zero {
                    app.logger.notice(
                        "shutting down: readiness now fails; serving \(delay.seconds) s more before closing the listener")
                    try? await Task.sleep(for: delay)
                } else {
                    app.logger.notice("shutting down")
                }
                await server.stop()
            }
            // The first to finish: the server (stopped, or failed) or the drain.
            defer { group.cancelAll() }
            try await group.next()
            try await group.next()
        }
    }
}
