import Foundation
import HealthCore
import HealthHostApp
import Testing

/// The bundled `system` plugin (Swift, built with the SDK by SwiftPM) through the real
/// loader and server. Serialized: every host in this process shares the one loaded
/// image, and each host's `init` sets the plugin's settings.
@Suite(.timeLimit(.minutes(2)), .serialized) struct SystemPluginTests {
    private let pluginPath = TestPaths.builtLibrary("libhh-system.so")

    private func yaml(_ settings: String, checks: String? = nil) -> String {
        hostYAML(plugins: [pluginPath], pluginConfig: "{ system: \(settings) }", checks: checks)
    }

    @Test func diskSpaceIsGradedAgainstTheThresholds() async throws {
        let folder = TestPaths.temporaryDirectory("disk")
        let checks = [(0, 0), (100, 0), (100, 100)].enumerated().map { index, limits in
            "  - { name: disk\(index), plugin: system, check: disk, args: { path: \"\(folder)\", warn_free_percent: \(limits.0), fail_free_percent: \(limits.1) } }"
        }
        try await TestHost.with(yaml: yaml("{}", checks: checks.joined(separator: "\n"))) { host throws in
            for (index, status) in [CheckStatus.pass, .warn, .fail].enumerated() {
                let result = try await host.report("disk\(index)").result
                #expect(result.status == status, "\(result.message)")
                #expect(result.message.contains(" free of "))
                #expect(result.message.contains("at \(folder)"))
                #expect(result.observedUnit == "percent")
                #expect((0...100).contains(result.observedValue ?? -1))
            }
        }
    }

    @Test func oneDiskCheckPerPathAndTheDefaultsWithoutAChecksList() async throws {
        let checks = """
              - { name: root, plugin: system, check: disk }
              - { name: missing, plugin: system, check: disk, args: { path: /no/such/place } }
              - { name: upside-down, plugin: system, check: disk, args: { warn_free_percent: 5, fail_free_percent: 20 } }
            """
        try await TestHost.with(yaml: yaml("{}", checks: checks)) { host throws in
            #expect(try await host.report("root").result.message.hasSuffix(" at /"))
            #expect(
                try await host.report("missing").result
                    == .fail("cannot read the file system at /no/such/place: No such file or directory"))
            #expect(
                try await host.report("upside-down").result
                    == .fail("misconfigured: fail_free_percent (20.0) must be at most warn_free_percent (5.0)"))
        }
        // Without a checks list: disk (at /), memory and load are the defaults; heartbeat
        // needs a path, so it is not served.
        try await TestHost.with(yaml: yaml("{}")) { host throws in
            #expect(host.app.registry.defaults.map(\.name) == ["system.disk", "system.memory", "system.load"])
            #expect(host.app.registry.check(named: "system.heartbeat") == nil)
        }
    }

    @Test func memoryAndLoadReportTheirMeasurements() async throws {
        let relaxed =
            "{ memory: { warn_available_percent: 0, fail_available_percent: 0 }, load: { warn_per_core: 999, fail_per_core: 1000, window: 1 } }"
        try await TestHost.with(yaml: yaml(relaxed)) { host throws in
            let memory = try await host.report("system.memory").result
            #expect(memory.status == .pass)
            #expect(memory.message.contains(" available of "))
            #expect((0...100).contains(memory.observedValue ?? -1))
            let load = try await host.report("system.load").result
            #expect(load.status == .pass)
            #expect(load.message.hasPrefix("load "))
            #expect(load.message.contains("over 1 min on \(ProcessInfo.processInfo.activeProcessorCount) cores"))
            #expect(load.observedUnit == "per core")
            // The defaults of the plugin are disk, memory and load; all pass here.
            let response = try await host.get("/health/?checks=system.memory,system.load&auth=s3cret")
            #expect(response.status == 200)
        }
        let strict = "{ memory: { warn_available_percent: 100, fail_available_percent: 100 }, load: { warn_per_core: 0, fail_per_core: 0 } }"
        try await TestHost.with(yaml: yaml(strict)) { host throws in
            #expect(try await host.report("system.memory").result.status == .fail)
            #expect(try await host.report("system.load").result.status == .fail)
            #expect(try await host.get("/health/?checks=system.memory&auth=s3cret").status == 503)
        }
    }

    @Test func theHeartbeatFileMustBeYoungerThanItsMaximumAge() async throws {
        let file = TestPaths.temporaryDirectory("heartbeat") + "/backup.heartbeat"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        let checks = "  - { name: backup, plugin: system, check: heartbeat, args: { path: \"\(file)\", max_age: 60 } }"
        try await TestHost.with(yaml: yaml("{}", checks: checks)) { host throws in
            let fresh = try await host.report("backup").result
            #expect(fresh.status == .pass)
            #expect(fresh.message.hasPrefix("\(file) last touched "))

            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: file)
            let old = try await host.report("backup").result
            #expect(old.status == .fail)
            #expect(old.message.hasSuffix("last touched 2 h 0 min ago, limit 60 s"), "\(old.message)")
            #expect(old.observedValue ?? 0 >= 7200)

            try FileManager.default.removeItem(atPath: file)
            #expect(try await host.report("backup").result == .fail("no heartbeat file at \(file)"))
        }
        #expect {
            _ = try TestHost.build(yaml: yaml("{}", checks: "  - { name: backup, plugin: system, check: heartbeat }"))
        } throws: { error in
            "\(error)".contains("checks[0].args: missing required argument 'path' (string)")
        }
    }

    @Test func thresholdsInTheWrongOrderStopStartUp() throws {
        let error = #expect(throws: (any Error).self) {
            try TestHost.build(yaml: yaml("{ memory: { warn_available_percent: 5, fail_available_percent: 20 } }"))
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(
            text.contains(
                "init failed: config: memory.fail_available_percent (20.0) must be at most memory.warn_available_percent (5.0)"),
            "\(text)")
    }

    @Test func aMistypedSettingStopsStartUpNamingIt() throws {
        let error = #expect(throws: (any Error).self) {
            try TestHost.build(yaml: yaml("{ load: { window: 5, warn_per_cor: 2 } }"))
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(
            text.contains("init failed: config: unknown key 'warn_per_cor' in load (known keys here: fail_per_core, warn_per_core, window)"),
            "\(text)")
        // The disk's settings moved to per-check args; the old key says so by being unknown.
        let moved = #expect(throws: (any Error).self) { try TestHost.build(yaml: yaml("{ disk: { path: / } }")) }
        #expect("\(moved.map { "\($0)" } ?? "")".contains("unknown key 'disk' (known keys here: load, memory)"))
    }
}
