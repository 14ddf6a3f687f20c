import Foundation
import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import NIOHTTP1
import Testing

/// The native dialect (`/health/`, `/health/ping`): its rules (bodies, headers, status
/// codes, selection, unknown names, timeouts, the prefix) through the real pipeline over
/// in-process checks; the config file's switches, plugin check naming and the event loop
/// through real plugins, the real loader and the real server.
@Suite(.timeLimit(.minutes(2))) struct NativeAPITests {
    private func yaml(extra: String = "", auth: String = "{ secret: s3cret }") async throws -> String {
        hostYAML(
            plugins: [try await PluginCompiler.core(), try await PluginCompiler.testkit()], auth: auth,
            checks: """
                  - { name: foo, plugin: core, check: "true" }
                  - { name: "true", plugin: core, check: "true", default: false }
                  - { name: "false", plugin: core, check: "false" }
                  - { name: warn, plugin: testkit, check: warn, default: false }
                  - { name: slow, plugin: testkit, check: slow, default: false, timeout: 0.2 }
                """, extra: extra)
    }

    private let auth = "auth=s3cret"

    /// The checks of ``yaml(extra:auth:)`` in process: `slow` holds its calls until
    /// opened (its timeout is 200 ms).
    private func harness(
        slow: ControlledCheck = ControlledCheck("slow"),
        _ configure: (inout NativeDialectConfiguration) -> Void = { _ in }
    ) throws -> RouterHarness {
        let fakes = RouterHarness.FakeChecks()
        fakes.set("false", .fail("false"))
        fakes.set("warn", .warn("warned"))
        var config = NativeDialectConfiguration()
        configure(&config)
        return try RouterHarness(
            checks: [
                fakes.check("foo"), fakes.check("true", isDefault: false), fakes.check("false", isDefault: false),
                fakes.check("warn", isDefault: false), slow.registered(timeout: .milliseconds(200), isDefault: false),
            ]
        ) { NativeDialect.routes(config, context: $0) }
    }

    @Test func pingAnswersPongWithoutAuth() async throws {
        let response = try await harness().get("/health/ping")
        #expect(response.status == .ok)
        #expect(response.text == "pong")
        #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
    }

    @Test func defaultsRunWhenNoChecksAreNamed() async throws {
        let harness = try harness()
        for target in ["/health/?\(auth)", "/health?\(auth)", "/health/?checks=_defaults&\(auth)"] {
            let response = try await harness.get(target)
            #expect(response.status == .ok, "\(target)")
            #expect(response.text == #"{"available_checks":["foo","true","false","warn","slow"],"checks":{"foo":true},"health":"running"}"#)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
            #expect(response.header("Pragma") == "no-cache")
            #expect(response.header("Expires") == "0")
        }
    }

    @Test func namedChecksMixedWithDefaultsAndTrimmed() async throws {
        let response = try await harness().get("/health/?checks=%20true%20,_defaults,warn&\(auth)")
        #expect(response.status == .ok)
        #expect(response.json["checks"] as? [String: Bool] == ["true": true, "foo": true, "warn": true])
        #expect(response.json["health"] as? String == "running")
    }

    @Test func aFailingCheckDegradesWith503() async throws {
        let response = try await harness().get("/health/?checks=foo,false&\(auth)")
        #expect(response.status == .serviceUnavailable)
        #expect(response.json["health"] as? String == "degraded")
        #expect(response.json["checks"] as? [String: Bool] == ["foo": true, "false": false])
    }

    @Test func anEmptyChecksParameterRunsNothing() async throws {
        let response = try await harness().get("/health/?checks=&\(auth)")
        #expect(response.status == .ok)
        #expect(response.json["checks"] as? [String: Bool] == [:])
        #expect(response.json["health"] as? String == "running")
    }

    @Test func unknownNamesAreA400ThatNamesThem() async throws {
        let response = try await harness().get("/health/?checks=foo,fooo,bar&\(auth)")
        #expect(response.status == .badRequest)
        #expect(response.json["error"] as? String == "unknown_checks")
        #expect(response.json["unknown_checks"] as? [String] == ["fooo", "bar"])
        #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
    }

    @Test func unknownNamesCanBeIgnoredAsTheSeedDoes() async throws {
        let response = try await harness { $0.unknownChecks = .ignore }.get("/health/?checks=foo,fooo&\(auth)")
        #expect(response.status == .ok)
        #expect(response.json["checks"] as? [String: Bool] == ["foo": true])
    }

    @Test func aCheckPastItsTimeoutFailsWithoutHoldingTheResponse() async throws {
        // `slow` never returns while the request waits: the answer comes from its timeout.
        let slow = ControlledCheck("slow", holding: .every)
        defer { slow.open() }
        let harness = try harness(slow: slow)
        defer { harness.engine.shutdown() }
        let response = try await harness.get("/health/?checks=slow,foo&\(auth)")
        #expect(response.status == .serviceUnavailable)
        #expect(response.json["checks"] as? [String: Bool] == ["slow": false, "foo": true])
        #expect(slow.activeCount == 1, "the call was still running when the response came")
    }

    @Test func thePrefixIsConfigurable() async throws {
        let harness = try harness { $0.prefix = "/internal/hc" }
        #expect(try await harness.get("/internal/hc/ping").text == "pong")
        #expect(try await harness.get("/internal/hc/?\(auth)").status == .ok)
        #expect(try await harness.get("/health/ping").status == .notFound)
    }

    // End to end (with the tests below): the config file's keys, the real plugins'
    // results and check names, the server.
    @Test func theConfiguredPrefixServesThePluginsResultsThroughASocket() async throws {
        try await TestHost.with(yaml: try yaml(extra: "http: { native: { prefix: /internal/hc } }\n")) { host throws in
            #expect(try await host.get("/internal/hc/ping").body == "pong")
            let response = try await host.get("/internal/hc/?checks=_defaults,warn,false&\(auth)")
            #expect(response.status == 503)
            #expect(response.json["checks"] as? [String: Bool] == ["foo": true, "false": false, "warn": true])
            #expect(response.header("Content-Type") == "application/json")
            #expect(try await host.get("/health/ping").status == 404)
        }
    }

    @Test func theNativeDialectCanBeSwitchedOff() async throws {
        try await TestHost.with(yaml: try yaml(extra: "http: { native: { enabled: false } }\n")) { host throws in
            #expect(try await host.get("/health/ping").status == 404)
        }
    }

    @Test func withoutAChecksListEveryPluginCheckIsServedAsPluginDotCheck() async throws {
        let yaml = hostYAML(plugins: [try await PluginCompiler.core()])
        try await TestHost.with(yaml: yaml) { host throws in
            let response = try await host.get("/health/?\(auth)")
            #expect(response.json["available_checks"] as? [String] == ["core.true", "core.false"])
            #expect(response.json["checks"] as? [String: Bool] == ["core.true": true])
        }
    }
}

extension NativeAPITests {
    @Test func aSingleConfiguredEventLoopServesConcurrentRequests() async throws {
        try await TestHost.with(yaml: try yaml(extra: "http: { event_loops: 1 }\n")) { host throws in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await host.get("/health/?checks=foo&auth=s3cret").status } }
                for try await status in group { #expect(status == 200) }
            }
            #expect(try await host.get("/health/ping").body == "pong")
        }
    }
}
