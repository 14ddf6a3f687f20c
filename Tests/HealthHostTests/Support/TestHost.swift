import Foundation
import HealthConfig
import HealthCore
import HealthHTTP
import HealthHostApp
import Logging

/// A real host on 127.0.0.1 with a free port, built from YAML exactly as `serve`
/// builds it, stopped when the body returns.
struct TestHost {
    let app: HostApplication
    let port: Int

    /// A quiet logger for tests.
    static let logger: Logger = {
        var logger = Logger(label: "healthhost-tests") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        return logger
    }()

    /// Parses `yaml` (relative paths against `directory`) and builds the host.
    static func build(
        yaml: String, directory: String = NSTemporaryDirectory(), environment: [String: String] = [:],
        logger: Logger = TestHost.logger, port: Int = 0, clock: EngineClock = .system
    ) throws -> HostApplication {
        let loaded = try ConfigurationLoader.parse(yaml: yaml, file: "test.yaml", directory: directory)
        return try HostApplication.build(
            configuration: loaded,
            options: .init(port: port, environment: environment, workerExecutable: TestPaths.executable, engineClock: clock),
            logger: logger)
    }

    /// Starts the host, runs `body` against it, stops it.
    static func with(
        yaml: String, environment: [String: String] = [:], logger: Logger = TestHost.logger, clock: EngineClock = .system,
        _ body: (TestHost) async throws -> Void
    ) async throws {
        // Off the cooperative pool: starting plugin workers blocks until they are ready.
        let app = try await offThePool { try build(yaml: yaml, environment: environment, logger: logger, clock: clock) }
        let server = app.makeServer()
        defer { app.shutdown() }
        let port = try await server.start()
        // The services `serve` runs (background refresh, secret reloading, span flush, the
        // server), stopped as SIGTERM stops them once `body` is done.
        try await app.serving(server: server, environment: environment) {
            try await body(TestHost(app: app, port: port))
        }
    }

    /// `GET target` with `Connection: close`.
    func get(_ target: String, headers: [String: String] = [:]) async throws -> RawHTTPResponse {
        try await RawHTTPClient.request(port: port, "GET", target, headers: headers)
    }
}

/// YAML for a host serving the given plugin files. The suites written against
/// in-process plugins (where a hung call keeps its thread) keep `isolation` at
/// `{ default: none }`; IsolationTests and the dialect runs under isolation set `process`.
func hostYAML(
    plugins: [String], auth: String = "{ secret: s3cret }", pluginConfig: String? = nil, checks: String? = nil,
    extra: String = "", isolation: String = "{ default: none }"
) -> String {
    var yaml = """
        listen: { host: 127.0.0.1, port: 0 }
        auth: \(auth)
        plugins:
          paths: [\(plugins.map { "\"\($0)\"" }.joined(separator: ", "))]
          isolation: \(isolation)

        """
    if let pluginConfig { yaml += "  config: \(pluginConfig)\n" }
    if let checks { yaml += "checks:\n\(checks)\n" }
    return yaml + extra
}
