import Foundation
import Testing

/// `GET /health/status`: the engine's state of every check, read without running any.
@Suite(.timeLimit(.minutes(2))) struct StatusPageTests {
    private func yaml() async throws -> String {
        hostYAML(
            plugins: [try await PluginCompiler.core(), try await PluginCompiler.enginekit(fileName: "hh-enginekit-status.so")],
            // `slow` sleeps 10 s: still running when the page is read, however loaded the machine.
            pluginConfig: "{ enginekit: { sleep_ms: 10000 } }",
            checks: """
                  - { name: foo, plugin: core, check: "true", groups: [liveness] }
                  - { name: "true", plugin: core, check: "true", default: false }
                  - { name: "false", plugin: core, check: "false" }
                  - { name: slow, plugin: enginekit, check: counted, default: false, timeout: 0.2 }
                  - { name: cached, plugin: core, check: "true", default: false, success_ttl: 60 }
                  - { name: background, plugin: core, check: "true", default: false, interval: 30, stale_after: 40 }
                """)
    }

    /// The checks of a status page by name.
    private func status(_ host: TestHost) async throws -> [String: [String: Any]] {
        let response = try await host.get("/health/status", headers: ["Authorization": "Bearer s3cret"])
        #expect(response.status == 200)
        #expect(response.header("Cache-Control") == "no-cache, no-store, must-revalidate")
        #expect(response.json["time"] is String)
        let checks = response.json["checks"] as? [[String: Any]] ?? []
        return Dictionary(checks.map { ($0["name"] as? String ?? "", $0) }) { first, _ in first }
    }

    @Test func showsTheStateOfEveryCheckAndRunsNone() async throws {
        try await TestHost.with(yaml: try yaml()) { host throws in
            #expect(try await host.get("/health/status").status == 401)
            #expect(try await host.get("/health/status?auth=wrong").status == 401)

            let listed = try await host.get("/health/status?auth=s3cret").json["checks"] as? [[String: Any]] ?? []
            #expect(listed.map { $0["name"] as? String } == ["foo", "true", "false", "slow", "cached", "background"])
            let before = try await status(host)
            for (name, check) in before where name != "background" {  // that one runs by itself
                #expect(check["last"] is NSNull, "\(name)")
                #expect(check["calls"] as? Int == 0, "\(name)")
                #expect(check["stuck"] as? Bool == false, "\(name)")
            }
            let foo = before["foo"] ?? [:]
            #expect(foo["source"] as? String == "core.true")
            #expect(foo["default"] as? Bool == true)
            #expect(foo["groups"] as? [String] == ["liveness"])
            #expect(foo["refresh"] as? String == "always fresh")
            #expect(before["cached"]?["refresh"] as? String == "cached 60 s on success only")
            #expect(before["slow"]?["timeout_seconds"] as? Double == 0.2)

            #expect(try await host.get("/health/?checks=foo,false,slow,cached&auth=s3cret").status == 503)
            #expect(try await host.get("/health/?checks=false,cached&auth=s3cret").status == 503)
            let after = try await status(host)

            let passed = after["foo"] ?? [:]
            #expect((passed["last"] as? [String: Any])?["status"] as? String == "pass")
            #expect((passed["last"] as? [String: Any])?["message"] as? String == "always passes")
            #expect(passed["last_success"] is String)
            #expect(passed["consecutive_failures"] as? Int == 0 && passed["calls"] as? Int == 1)

            let failing = after["false"] ?? [:]
            #expect((failing["last"] as? [String: Any])?["message"] as? String == "always fails")
            #expect(failing["last_success"] is NSNull)
            #expect(failing["consecutive_failures"] as? Int == 2 && failing["calls"] as? Int == 2)

            // Served from cache the second time: one call.
            #expect(after["cached"]?["calls"] as? Int == 1)

            // Past its 0.2 s timeout and still sleeping: stuck, and said so.
            let slow = after["slow"] ?? [:]
            #expect((slow["last"] as? [String: Any])?["status"] as? String == "fail")
            let slowMessage = (slow["last"] as? [String: Any])?["message"] as? String
            #expect(slowMessage?.hasPrefix("timed out: no result within 200 ms") == true, "\(slowMessage ?? "none")")
            #expect(slow["timeouts"] as? Int == 1 && slow["calls"] as? Int == 0)
            #expect(slow["stuck"] as? Bool == true)
            #expect(slow["running_since"] is String)

            // Background: run once at start-up, fresh, with its bound; on-demand checks have none.
            #expect(try await eventually { try await status(host)["background"]?["calls"] as? Int == 1 })
            let background = try await status(host)["background"] ?? [:]
            #expect(background["stale_after_seconds"] as? Double == 40 && background["stale"] as? Bool == false)
            #expect(after["foo"]?["stale_after_seconds"] is NSNull && after["foo"]?["stale"] is NSNull)

            // Never asked for, never run: the status page ran nothing either.
            #expect(after["true"]?["last"] is NSNull)
            #expect(after["true"]?["calls"] as? Int == 0)
        }
    }

    @Test func aBackgroundCheckWhoseNextRunHangsShowsAsStaleWhileRunning() async throws {
        // `sticky` passes on its first call and hangs on every later one (timeout 30 s).
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.enginekit(fileName: "hh-enginekit-statuspage.so")],
            pluginConfig: "{ enginekit: { sleep_ms: 1 } }",
            checks: "  - { name: sticky, plugin: enginekit, check: sticky, interval: 0.2, stale_after: 0.5, timeout: 30 }")
        try await TestHost.with(yaml: yaml) { host throws in
            #expect(
                try await eventually(within: .seconds(3)) {
                    try await status(host)["sticky"]?["stale"] as? Bool == true
                })
            let sticky = try await status(host)["sticky"] ?? [:]
            #expect((sticky["last"] as? [String: Any])?["message"] as? String == "first call")
            #expect(sticky["running_since"] is String)
            #expect(sticky["stuck"] as? Bool == false)  // hanging, but not yet past its 30 s timeout
            #expect(sticky["stale_after_seconds"] as? Double == 0.5)
        }
    }
}
