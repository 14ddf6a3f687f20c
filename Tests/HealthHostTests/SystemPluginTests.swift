import Foundation
import HealthCore
import Testing

/// The bundled `system` plugin (Swift, built with the SDK by SwiftPM) through the real
/// loader and server. Serialized: every host in this process shares the one loaded
/// image, and each host's `init` sets the plugin's settings.
@Suite(.serialized) struct SystemPluginTests {
    private let pluginPath = TestPaths.builtLibrary("libhh-system.so")

    private func yaml(_ settings: String) -> String {
        hostYAML(plugins: [pluginPath], pluginConfig: "{ system: \(settings) }")
    }

    @Test func diskSpaceIsGradedAgainstTheThresholds() async throws {
        let folder = TestPaths.temporaryDirectory("disk")
        for (warn, fail, status) in [(0, 0, CheckStatus.pass), (100, 0, .warn), (100, 100, .fail)] {
            let settings = "{ disk: { path: \"\(folder)\", warn_free_percent: \(warn), fail_free_percent: \(fail) } }"
            try await TestHost.with(yaml: yaml(settings)) { host throws in
                let result = try await host.report("system.disk").result
                #expect(result.status == status, "\(result.message)")
                #expect(result.message.contains(" free of "))
                #expect(result.message.contains("at \(folder)"))
                #expect(result.observedUnit == "percent")
                #expect((0...100).contains(result.observedValue ?? -1))
            }
        }
    }

    @Test func aMissingDiskPathFailsWithTheReason() async throws {
        try await TestHost.with(yaml: yaml("{ disk: { path: /no/such/place } }")) { host throws in
            let result = try await host.report("system.disk").result
            #expect(result == .fail("cannot read the file system at /no/such/place: No such file or directory"))
        }
    }

    @Test func memoryAndLoadReportTheirMeasurements() async throws {
        let relaxed = "{ memory: { warn_available_percent: 0, fail_available_percent: 0 }, load: { warn_per_core: 999, fail_per_core: 1000, window: 1 } }"
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
        try await TestHost.with(yaml: yaml("{ heartbeat: { path: \"\(file)\", max_age: 60 } }")) { host throws in
            let fresh = try await host.report("system.heartbeat").result
            #expect(fresh.status == .pass)
            #expect(fresh.message.hasPrefix("\(file) last touched "))

            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: file)
            let old = try await host.report("system.heartbeat").result
            #expect(old.status == .fail)
            #expect(old.message.hasSuffix("last touched 2 h 0 min ago, limit 60 s"), "\(old.message)")
            #expect(old.observedValue ?? 0 >= 7200)

            try FileManager.default.removeItem(atPath: file)
            #expect(try await host.report("system.heartbeat").result == .fail("no heartbeat file at \(file)"))
        }
        try await TestHost.with(yaml: yaml("{}")) { host throws in
            #expect(
                try await host.report("system.heartbeat").result
                    == .fail("no heartbeat file configured: set plugins.config.system.heartbeat.path"))
        }
    }

    @Test func thresholdsInTheWrongOrderStopStartUp() throws {
        let error = #expect(throws: (any Error).self) {
            try TestHost.build(yaml: yaml("{ disk: { warn_free_percent: 5, fail_free_percent: 20 } }"))
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("init failed: config: disk.fail_free_percent (20.0) must be at most disk.warn_free_percent (5.0)"), "\(text)")
    }

    @Test func aMistypedSettingStopsStartUpNamingIt() throws {
        let error = #expect(throws: (any Error).self) {
            try TestHost.build(yaml: yaml("{ disk: { path: /, warn_free_pecent: 20 } }"))
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(
            text.contains("init failed: config: unknown key 'warn_free_pecent' in disk (known keys here: fail_free_percent, path, warn_free_percent)"),
            "\(text)")
    }
}
