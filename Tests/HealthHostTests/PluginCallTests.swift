import HealthCore
import HealthPluginLoader
import Testing

/// Results cross the boundary through host-owned buffers, bounded and valid UTF-8.
@Suite(.timeLimit(.minutes(2))) struct PluginCallTests {
    private func testkit() async throws -> LoadedPlugin {
        let set = try PluginLoader(policy: .failFast, logger: TestHost.logger).load(paths: [try await PluginCompiler.testkit()]) {
            _ in PluginSettings()
        }
        return try #require(set.plugin(named: "testkit"))
    }

    private func run(_ check: String, in plugin: LoadedPlugin, as name: String = "x") throws -> CheckResult {
        try #require(plugin.implementation(of: check)).run(CheckInvocation(configuredName: name, timeout: .seconds(1)))
    }

    @Test func statusMessageAndObservedValueArrive() async throws {
        let plugin = try await testkit()
        #expect(try run("pass", in: plugin, as: "my-pass") == .pass("fine (configured as my-pass)"))
        #expect(
            try run("warn", in: plugin)
                == CheckResult(status: .warn, message: "disk getting full", observedValue: 91.5, observedUnit: "percent"))
        #expect(try run("fail", in: plugin) == .fail("database unreachable"))
    }

    @Test func unterminatedOverlongUTF8IsCutToTheBufferOnACharacterBoundary() async throws {
        let message = try await run("long", in: try testkit()).message
        #expect(message.utf8.count <= PluginCheck.messageCapacity - 1)
        #expect(message.utf8.count >= PluginCheck.messageCapacity - 4)
        #expect(message.allSatisfy { $0 == "€" || $0 == "x" })
        #expect(!message.contains("\u{FFFD}"))
    }

    @Test func anInvalidStatusIsAFailureThatSaysSo() async throws {
        let result = try await run("bad_status", in: try testkit())
        #expect(result.status == .fail)
        #expect(result.message == "plugin returned invalid status 7, expected HH_PASS, HH_WARN or HH_FAIL (message: oops)")
    }

    @Test func declaredParametersAreRead() async throws {
        let plugin = try await testkit()
        let disk = try #require(plugin.descriptor.checks.first { $0.name == "disk" })
        #expect(disk.parameters.map(\.name) == ["path", "min_free_mb", "password"])
        #expect(disk.parameters.map(\.kind) == [.string, .int, .string])
        #expect(disk.parameters[0].defaultValue == nil && disk.parameters[1].defaultValue == "100")
        #expect(disk.parameters[2].isSecret)
    }

    @Test func shutdownIsCalledOnceAndNoCheckRunsAfterIt() async throws {
        let marker = TestPaths.temporaryDirectory("shutdown") + "/marker"
        let set = try PluginLoader(policy: .failFast, logger: TestHost.logger).load(paths: [
            try await PluginCompiler.testkit(fileName: "hh-testkit-shutdown.so")
        ]) { _ in PluginSettings(scalars: ["shutdown_marker": marker]) }
        let plugin = try #require(set.plugin(named: "testkit"))
        set.shutdownAll()
        #expect(FileManager.default.fileExists(atPath: marker))
        #expect(try run("pass", in: plugin).message == "not run: the plugin has been shut down")
    }

    @Test func aSlowCallPastItsTimeoutFailsWithTheLimit() async throws {
        let plugin = try await testkit()
        let slow = try #require(plugin.implementation(of: "slow"))
        #expect(slow.suggestedTimeout == .milliseconds(300))
        var registry = CheckRegistry()
        let check = RegisteredCheck(name: "slow", implementation: slow)
        try registry.register(check)
        let engine = CheckEngine(registry: registry, threads: 2, logger: TestHost.logger)
        defer { engine.shutdown() }
        let report = await engine.report(for: check)
        #expect(report.result == .fail("timed out: no result within 300 ms"))
        #expect(report.duration < .seconds(2))
    }
}

import Foundation
