import HealthHTTP
import Logging
import ServiceLifecycle

/// `healthhost serve` as a service: serves until SIGTERM/SIGINT, then marks the host as
/// shutting down (readiness fails at once, liveness keeps passing), keeps serving for
/// `http.shutdown_delay` so Kubernetes takes the pod out of its endpoints, and only then
/// closes the listener.
public struct HostService: Service {
    private let app: HostApplication
    private let server: HTTPServer

    /// Creates the service for `app`'s server.
    public init(app: HostApplication, server: HTTPServer) {
        self.app = app
        self.server = server
    }

    public func run() async throws {
        let delay = app.loaded.configuration.http.shutdownDelay
        let app = self.app
        let server = self.server
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            group.addTask {
                // Throws when cancelled (the server failed): nothing to drain then.
                try await gracefulShutdown()
                app.lifecycle.beginShutdown()
                if delay > 0 {
                    app.logger.notice("shutting down: readiness now fails; serving \(delay) s more before closing the listener")
                    try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
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
