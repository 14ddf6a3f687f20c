import Foundation
import Testing

/// The native dialect end to end: real plugins, the real loader, the real server.
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

    @Test func pingAnswersPongWithoutAuth() async throws {
        try await TestHost.with(yaml: try yaml()) { host throws in
            let response = try await host.get("/health/ping")
            #expect(response.status == 200)
            #expect(response.body == "pong")
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
        }
    }

    @Test func defaultsRunWhenNoChecksAreNamed() async throws {
        try await TestHost.with(yaml: try yaml()) { host throws in
            for target in ["/health/?\(auth)", "/health?\(auth)", "/health/?checks=_defaults&\(auth)"] {
                let response = try await host.get(target)
                #expect(response.status == 200, "\(target)")
                #expect(response.body == #"{"available_checks":["foo","true","false","warn","slow"],"checks":{"foo":true},"health":"running"}"#)
                #expect(response.header("Content-Type") == "application/json")
                #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
                #expect(response.header("Pragma") == "no-cache")
                #expect(response.header("Expires") == "0")
            }
        }
    }

    @Test func namedChecksMixedWithDefaultsAndTrimmed() async throws {
        try await TestHost.with(yaml: try yaml()) { host throws in
            let response = try await host.get("/health/?checks=%20true%20,_defaults,warn&\(auth)")
            #expect(response.status == 200)
            #expect(response.json["checks"] as? [String: Bool] == ["true": true, "foo": true, "warn": true])
            #expect(response.json["health"] as? String == "running")
        }
    }

    @Test func aFailingCheckDegradesWith503() async throws {
        try await TestHost.with(yaml: try yaml()) { host throws in
            let response = try await host.get("/health/?checks=foo,false&\(auth)")
            #expect(response.status == 503)
            #expect(response.json["health"] as? String == "degraded")
            #expect(response.json["checks"] as? [String: Bool] == ["foo": true, "false": false])
        }
    }

    @Test func anEmptyChecksParameterRunsNothing() async throws {
        try await TestHost.with(yaml: try yaml()) { host throws in
            let response = try await host.get("/health/?checks=&\(auth)")
            #expect(response.status == 200)
            #expect(response.json["checks"] as? [String: Bool] == [:])
            #expect(response.json["health"] as? String == "running")
        }
    }

    @Test func unknownNamesAreA400ThatNamesThem() async throws {
        try await TestHost.with(yaml: try yaml()) { host throws in
            let response = try await host.get("/health/?checks=foo,fooo,bar&\(auth)")
            #expect(response.status == 400)
            #expect(response.json["error"] as? String == "unknown_checks")
            #expect(response.json["unknown_checks"] as? [String] == ["fooo", "bar"])
            #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
        }
    }

    @Test func unknownNamesCanBeIgnoredAsTheSeedDoes() async throws {
        let extra = "http: { native: { unknown_checks: ignore } }\n"
        try await TestHost.with(yaml: try yaml(extra: extra)) { host throws in
            let response = try await host.get("/health/?checks=foo,fooo&\(auth)")
            #expect(response.status == 200)
            #expect(response.json["checks"] as? [String: Bool] == ["foo": true])
        }
    }

    @Test func aCheckPastItsTimeoutFailsWithoutHoldingTheResponse() async throws {
        try await TestHost.with(yaml: try yaml()) { host throws in
            let started = Date()
            let response = try await host.get("/health/?checks=slow,foo&\(auth)")
            #expect(response.status == 503)
            #expect(response.json["checks"] as? [String: Bool] == ["slow": false, "foo": true])
            #expect(Date().timeIntervalSince(started) < 1.9)
        }
    }

    @Test func thePrefixIsConfigurable() async throws {
        try await TestHost.with(yaml: try yaml(extra: "http: { native: { prefix: /internal/hc } }\n")) { host throws in
            #expect(try await host.get("/internal/hc/ping").body == "pong")
            #expect(try await host.get("/internal/hc/?\(auth)").status == 200)
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
