import Foundation
import HealthCore
import HealthHostApp
import Testing

/// The engine end to end, with the enginekit C plugin loaded by the real loader: only
/// what the plugin's flags or the host built from YAML decide. Every rule of the engine
/// itself is in ``EngineTests``, in process and without sleeps. Each test loads its own
/// copy of the plugin, so its counters start at zero.
@Suite(.timeLimit(.minutes(2))) struct EnginePluginTests {
    private let auth = "auth=s3cret"

    /// A host serving enginekit (copy `copy`) with `checks` plus a `stats` check.
    private func yaml(_ copy: String, sleepMs: Int = 300, checks: String, extra: String = "") async throws -> String {
        hostYAML(
            plugins: [try await PluginCompiler.enginekit(fileName: "hh-enginekit-\(copy).so")],
            pluginConfig: "{ enginekit: { sleep_ms: \(sleepMs) } }",
            checks: checks + "\n  - { name: stats, plugin: enginekit, check: stats, default: false }", extra: extra)
    }

    // End to end: serialisation comes from the plugin check's missing HH_CHECK_THREAD_SAFE
    // flag, as the loader reads it from a real plugin.
    @Test func checksThatAreNotThreadSafeAreNeverCalledConcurrently() async throws {
        // Two configured checks backed by one plugin check without HH_CHECK_THREAD_SAFE.
        let checks = """
              - { name: u1, plugin: enginekit, check: unsafe }
              - { name: u2, plugin: enginekit, check: unsafe }
            """
        try await TestHost.with(yaml: try yaml("unsafe", checks: checks)) { host throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let response = try await host.get("/health/?\(self.auth)")
                        #expect(response.status == 200)
                    }
                }
                try await group.waitForAll()
            }
            let counters = try await host.counters()
            #expect(counters["unsafe_max_active"] == 1)
            #expect((counters["unsafe"] ?? 0) >= 2)
        }
    }

    // End to end: the TTL a check falls back to comes from the config's `engine` section.
    @Test func engineTTLDefaultsApplyToChecksThatSetNone() async throws {
        let checks = "  - { name: toggle, plugin: enginekit, check: toggle }"
        let extra = "engine: { success_ttl: 30, failure_ttl: 9 }\n"
        try await TestHost.with(yaml: try yaml("ttl-default", checks: checks, extra: extra)) { host throws in
            for _ in 0..<5 { #expect(try await host.get("/health/?\(auth)").status == 200) }
            #expect(try await host.counters()["toggle"] == 1)
        }
    }

    // End to end: the pool's size is the host's choice from the config (a thread per
    // check), and the hung calls are real plugin calls that never return.
    @Test func manyHungChecksCannotStarveTheOthersOfThreads() async throws {
        // Twenty checks hang for good; with a pool sized per check, `quick` still runs
        // (with a fixed pool of 16 it times out waiting for a thread).
        let hung = (1...20).map { "  - { name: hung\($0), plugin: enginekit, check: hang, timeout: 0.2 }" }
        let checks = (hung + ["  - { name: quick, plugin: enginekit, check: toggle, default: false }"]).joined(separator: "\n")
        try await TestHost.with(yaml: try yaml("starve", checks: checks)) { host throws in
            let response = try await host.get("/health/?\(auth)")
            #expect(response.status == 503)
            #expect(try await poll(until: { try await host.counters()["hang"] == 20 }))
            #expect(try await host.report("quick").result == .pass("call 1"))
        }
    }

    // End to end: the warning is the host's, written while it builds from YAML.
    @Test func aPoolSmallerThanTheChecksIsWarnedAbout() async throws {
        let capture = LogCapture()
        let checks = "  - { name: a, plugin: enginekit, check: counted }\n  - { name: b, plugin: enginekit, check: counted }"
        let app = try await TestHost.build(yaml: try yaml("warnpool", checks: checks, extra: "engine: { threads: 1 }\n"), logger: capture.logger())
        app.shutdown()
        #expect(capture.all.contains { $0.contains("engine.threads: 1 worker threads for 3 checks") })
    }
}
