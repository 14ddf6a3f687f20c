import Foundation
import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthHostApp
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

/// Spring-Actuator-style `/z/...` (flask-management-endpoints), with remote dependencies:
/// the health routes' rules through the real pipeline over the fixture's checks in
/// process; info, dependencies and start-up errors through real hosts.
@Suite(.timeLimit(.minutes(2))) struct ActuatorDialectTests {
    private let auth = ["Authorization": "Bearer \(DialectFixture.secret)"]
    private let enabled = "  actuator: { enabled: true }"

    private let bearer = [("Authorization", "Bearer \(DialectFixture.secret)")]

    private func harness(failingReadiness: Bool = false, lifecycle: HostLifecycle = HostLifecycle()) throws -> RouterHarness {
        var config = ActuatorDialectConfiguration()
        config.enabled = true
        return try RouterHarness.dialectFixture(failingReadiness: failingReadiness, lifecycle: lifecycle) {
            ActuatorDialect.routes(config, context: $0)
        }
    }

    /// Every configured check, default or not, as Spring's `/actuator/health` shows every
    /// component (and flask-management-endpoints' `/health` "runs all health checks").
    @Test func healthListsEveryConfiguredCheckAsComponents() async throws {
        let harness = try harness()
        let response = try await harness.get("/z/health")
        #expect(response.status == .serviceUnavailable)
        #expect(response.header("Content-Type") == "application/json")
        #expect(
            response.text
                == #"{"components":{"down":{"status":"DOWN"},"ok":{"status":"UP"},"warn":{"status":"UP"}},"status":"DOWN"}"#)
        let detailed = try await harness.get("/z/health", headers: bearer)
        #expect(
            detailed.text
                == #"{"components":{"down":{"details":{"message":"connection refused: db:5432"},"status":"DOWN"},"ok":{"details":{"message":"all good","observedUnit":"ms","observedValue":12},"status":"UP"},"warn":{"details":{"message":"disk 91% full","observedUnit":"percent","observedValue":91.5},"status":"UP"}},"status":"DOWN"}"#
        )
    }

    @Test func livenessPingReadinessAndGroups() async throws {
        let harness = try harness(failingReadiness: true)
        let ping = try await harness.get("/z/health/ping")
        #expect(ping.status == .ok)
        #expect(ping.text == #"{"status":"UP"}"#)
        let live = try await harness.get("/z/health/liveness")
        #expect(live.status == .ok)
        #expect(live.json["status"] as? String == "UP")
        let ready = try await harness.get("/z/health/readiness")
        #expect(ready.status == .serviceUnavailable)
        #expect(ready.json["status"] as? String == "DOWN")
        #expect((ready.json["components"] as? [String: [String: String]])?["down"] == ["status": "DOWN"])
        let storage = try await harness.get("/z/health/storage")
        #expect(storage.status == .serviceUnavailable)
        #expect(Set((storage.json["components"] as? [String: Any])?.keys ?? [:].keys) == ["warn", "down"])
        #expect(try await harness.get("/z/health/nope").status == .notFound)
        #expect(try await harness.get("/z/health/" + String(repeating: "a", count: 129)).status == .notFound)
    }

    @Test func readinessIsOutOfServiceOnceShutdownBegins() async throws {
        let lifecycle = HostLifecycle()
        let harness = try harness(lifecycle: lifecycle)
        #expect(try await harness.get("/z/health/readiness").status == .ok)
        lifecycle.beginShutdown()
        let ready = try await harness.get("/z/health/readiness")
        #expect(ready.status == .serviceUnavailable)
        #expect(ready.text == #"{"status":"OUT_OF_SERVICE"}"#)
        #expect(try await harness.get("/z/health/liveness").status == .ok)
    }

    // End to end from here on: the app's version and resource attributes from the config
    // file and the environment, remote dependencies served by real HTTP servers, and
    // start-up errors of a host built from YAML.
    @Test func versionFallsBackFromConfigToEnvironmentToUnknown() async throws {
        try await TestHost.with(yaml: try DialectFixture.yaml(http: enabled, extra: "service: { version: 1.4.2 }\n")) {
            host throws in
            let response = try await host.get("/z/version")
            #expect(response.body == "1.4.2")
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
        }
        try await TestHost.with(yaml: try DialectFixture.yaml(http: enabled), environment: ["VERSION": "2026.11"]) {
            host throws in
            #expect(try await host.get("/z/version").body == "2026.11")
        }
        try await TestHost.with(yaml: try DialectFixture.yaml(http: enabled)) { host throws in
            #expect(try await host.get("/z/version").body == "unknown")
        }
    }

    @Test func infoHasTheAppAndOpenTelemetryResourceAttributes() async throws {
        let environment = [
            "KUBERNETES_SERVICE_HOST": "10.0.0.1", "POD_NAMESPACE": "shop",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,team=payments%20core",
        ]
        let yaml = try await DialectFixture.yaml(http: enabled, extra: "service: { name: orders, version: 1.4.2 }\n")
        try await TestHost.with(yaml: yaml, environment: environment) { host throws in
            #expect(try await host.get("/z/info").status == 401)
            let body = try await host.get("/z/info", headers: auth).json
            #expect(body["app"] as? [String: String] == ["name": "orders", "version": "1.4.2"])
            let attributes = try #require(body["trace.attributes"] as? [String: Any])
            #expect(attributes["service.name"] as? String == "orders")
            #expect(attributes["service.version"] as? String == "1.4.2")
            #expect(attributes["host.name"] as? String == (try hostname()))
            #expect(attributes["k8s.pod.name"] as? String == (try hostname()))
            #expect(attributes["k8s.namespace.name"] as? String == "shop")
            #expect(attributes["process.pid"] as? Int == Int(ProcessInfo.processInfo.processIdentifier))
            #expect(attributes["process.runtime.name"] as? String == "swift")
            #expect(attributes["os.type"] as? String == "linux")
            #expect(attributes["deployment.environment"] as? String == "prod")
            #expect(attributes["team"] as? String == "payments core")
            #expect((body["dialectkit"] as? [String: String])?["pool_size"] == "8")
        }
    }

    @Test func dependenciesAreComponentsOfHealthAndReadinessAndCached() async throws {
        let remote = try await StubActuator.start()
        defer { Task { await remote.server.stop() } }
        let http = """
              actuator:
                enabled: true
                service_dependencies: { users_api: "http://127.0.0.1:\(remote.port)/admin/health", widget_api: "127.0.0.1:\(remote.port)" }
                dependency_success_ttl: 60
                dependency_failure_ttl: 0
            """
        try await TestHost.with(yaml: try DialectFixture.yaml(http: http)) { host throws in
            let health = try await host.get("/z/health", headers: auth)
            #expect(health.status == 503)  // `down` is configured, so it is a component
            let components = try #require(health.json["components"] as? [String: [String: Any]])
            #expect(Set(components.keys) == ["ok", "warn", "down", "users_api", "widget_api"])
            #expect(components["users_api"]?["status"] as? String == "UP")
            #expect(remote.requests.sorted() == ["/admin/health", "/z/health/readiness"])
            #expect(remote.markers == 2)  // every call says it is a dependency check

            // Cached for the success TTL: readiness reads the same results.
            #expect(try await host.get("/z/health/readiness").status == 200)
            #expect(remote.requests.count == 2)
            // Liveness never calls dependencies.
            #expect(try await host.get("/z/health/liveness").status == 200)
            #expect(remote.requests.count == 2)
        }
    }

    @Test func aDependencyIsUpOnlyOn200WithStatusUp() async throws {
        let remote = try await StubActuator.start()
        defer { Task { await remote.server.stop() } }
        let http = """
              actuator:
                enabled: true
                service_dependencies: { users_api: "http://127.0.0.1:\(remote.port)/health", gone: "127.0.0.1:1" }
                dependency_failure_ttl: 0
                dependency_timeout: 2
            """
        try await TestHost.with(yaml: try DialectFixture.yaml(http: http)) { host throws in
            for (status, body, expected) in [
                (200, #"{"status":"DOWN"}"#, "reports status DOWN"), (503, #"{"status":"UP"}"#, "answered HTTP 503"),
                (200, "not json", "without a JSON"),
            ] {
                remote.answer(status: status, body: body)
                let response = try await host.get("/z/health/readiness", headers: auth)
                #expect(response.status == 503)
                let components = try #require(response.json["components"] as? [String: [String: Any]])
                let users = components["users_api"]
                #expect(users?["status"] as? String == "DOWN")
                #expect(((users?["details"] as? [String: Any])?["message"] as? String)?.contains(expected) == true, "\(expected)")
                #expect(components["gone"]?["status"] as? String == "DOWN")
            }
        }
    }

    @Test func aRequestFromAnotherHostsDependencyCheckDoesNotCascade() async throws {
        // B depends on A and A on B: a probe of A polls B once, and B answers from its own
        // checks only, so the loop ends there.
        let portA = try freePort()
        let portB = try freePort()
        func yaml(port: Int, dependsOn other: Int) async throws -> String {
            try await DialectFixture.yaml(
                http: "  actuator: { enabled: true, service_dependencies: { peer: \"127.0.0.1:\(other)\" }, dependency_success_ttl: 0 }"
            )
        }
        let b = try await TestHost.build(yaml: try yaml(port: portB, dependsOn: portA), port: portB)
        let serverB = b.makeServer()
        _ = try await serverB.start()
        let serving = Task { try await serverB.serve() }
        defer {
            Task { await serverB.stop() }
            serving.cancel()
            b.shutdown()
        }
        let a = try await TestHost.build(yaml: try yaml(port: portA, dependsOn: portB), port: portA)
        let serverA = a.makeServer()
        _ = try await serverA.start()
        let servingA = Task { try await serverA.serve() }
        defer {
            Task { await serverA.stop() }
            servingA.cancel()
            a.shutdown()
        }
        let response = try await RawHTTPClient.request(port: portA, "GET", "/z/health/readiness")
        #expect(response.status == 200)
        #expect((response.json["components"] as? [String: [String: String]])?["peer"] == ["status": "UP"])
        let cascade = try await RawHTTPClient.request(
            port: portB, "GET", "/z/health/readiness", headers: ["X-Healthhost-Dependency-Check": "1"])
        #expect((cascade.json["components"] as? [String: Any])?["peer"] == nil)
    }

    @Test func httpsAndBrokenDependencyURLsStopStartUpNamingTheKey() async throws {
        for (value, expected) in [
            ("https://users:9922/admin", "only http:// is supported"), ("http://:80/x", "is not a valid host name"),
            ("users:99999", "the port must be a number"),
        ] {
            let yaml = try await DialectFixture.yaml(
                http: "  actuator: { enabled: true, service_dependencies: { users: \"\(value)\" } }")
            #expect(throws: (any Error).self) { try TestHost.build(yaml: yaml) }
            do {
                _ = try TestHost.build(yaml: yaml)
            } catch {
                #expect("\(error)".contains("http.actuator.service_dependencies.users"), "\(error)")
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    @Test func twoDialectsCannotServeOnePath() async throws {
        let yaml = try await DialectFixture.yaml(http: "  heartbeat: { enabled: true, prefix: /z/health }\n  actuator: { enabled: true }")
        #expect(throws: (any Error).self) { try TestHost.build(yaml: yaml) }
        do {
            _ = try TestHost.build(yaml: yaml)
        } catch {
            #expect("\(error)".contains("path /z/health/readiness is already served by the actuator dialect"), "\(error)")
        }
    }
}

/// A stand-in remote service: answers every path with a set status and body, and
/// records what it was asked.
final class StubActuator: Sendable {
    let server: HTTPServer
    let port: Int
    private let state: NIOLockedValueBox<State>

    struct State {
        var status = 200
        var body = #"{"status":"UP"}"#
        var requests: [String] = []
        var markers = 0
    }

    private init(server: HTTPServer, port: Int, state: NIOLockedValueBox<State>) {
        self.server = server
        self.port = port
        self.state = state
    }

    var requests: [String] { state.withLockedValue { $0.requests } }
    var markers: Int { state.withLockedValue { $0.markers } }

    func answer(status: Int, body: String) {
        state.withLockedValue {
            $0.status = status
            $0.body = body
        }
    }

    static func start() async throws -> StubActuator {
        let state = NIOLockedValueBox(State())
        let responder = Responder(state: state)
        let server = HTTPServer(configuration: .init(port: 0), responder: responder, logger: TestHost.logger)
        let port = try await server.start()
        Task { try await server.serve() }
        return StubActuator(server: server, port: port, state: state)
    }

    private struct Responder: HTTPResponder {
        let state: NIOLockedValueBox<State>

        func respond(to request: HTTPRequest) -> HTTPReply {
            let (status, body) = state.withLockedValue { state in
                state.requests.append(request.path)
                if !request.headers["X-Healthhost-Dependency-Check"].isEmpty { state.markers += 1 }
                return (state.status, state.body)
            }
            return .now(.text(body, status: HTTPResponseStatus(statusCode: status)))
        }
    }
}
