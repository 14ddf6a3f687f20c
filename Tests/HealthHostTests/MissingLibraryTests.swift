import Foundation
import HealthHostApp
import HealthPluginLoader
import Testing

/// A bundled plugin whose system library is not installed (a host without libpq that
/// does not use `postgres`): found in a folder, it is skipped with a warning and the
/// host starts; a check that names it, or naming the file itself, still fails.
@Suite(.timeLimit(.minutes(2))) struct MissingLibraryTests {
    /// A folder holding hh-needy.so, linked against a library that is then deleted.
    private func needyPlugin() async throws -> (folder: String, file: String) {
        let folder = TestPaths.temporaryDirectory("needy")
        let libraryFolder = TestPaths.temporaryDirectory("needy-lib")
        let source = libraryFolder + "/gone.c"
        try "int hh_gone_value(void) { return 1; }\n".write(toFile: source, atomically: true, encoding: .utf8)
        let library = libraryFolder + "/libhhgone.so"
        let built = try await runOffThePool("/usr/bin/env", ["cc", "-shared", "-fPIC", "-o", library, source])
        #expect(built.status == 0, "\(built.output)")
        let plugin = folder + "/hh-needy.so"
        let linked = try await runOffThePool(
            "/usr/bin/env",
            [
                "cc", "-std=c99", "-shared", "-fPIC", "-I", TestPaths.include, "-o", plugin, TestPaths.corePluginSource,
                "-Wl,--no-as-needed", "-L", libraryFolder, "-lhhgone",
            ])
        #expect(linked.status == 0, "\(linked.output)")
        try FileManager.default.removeItem(atPath: library)
        return (folder, plugin)
    }

    @Test func aPluginInAFolderWhoseLibraryIsMissingIsSkippedAndTheHostStarts() async throws {
        let (folder, plugin) = try await needyPlugin()
        let capture = LogCapture()
        let yaml = hostYAML(plugins: [folder, try await PluginCompiler.testkit()], checks: "  - { name: t, plugin: testkit, check: pass }")
        let app = try await offThePool { try TestHost.build(yaml: yaml, logger: capture.logger()) }
        defer { app.shutdown() }
        #expect(app.plugins.skipped.map(\.path) == [plugin])
        #expect(app.plugins.broken.isEmpty)
        #expect(capture.all.contains { $0.hasPrefix("warning skipping plugin \(plugin): ") && $0.contains("libhhgone.so") })
    }

    @Test func aCheckOfASkippedPluginOrTheFileNamedDirectlyStillFails() async throws {
        let (folder, plugin) = try await needyPlugin()
        let checks = "  - { name: db, plugin: core, check: \"true\" }"
        let error = try await offThePool { () -> String in
            do {
                _ = try TestHost.build(yaml: hostYAML(plugins: [folder], checks: checks))
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(error.contains("no loaded plugin is named 'core'"), "\(error)")
        #expect(error.contains("skipped for a missing library: \(plugin): cannot be loaded as a shared library: libhhgone.so"), "\(error)")
        let direct = try await offThePool { () -> String in
            do {
                _ = try TestHost.build(yaml: hostYAML(plugins: [plugin]))
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(direct.contains("plugin \(plugin): cannot be loaded as a shared library: libhhgone.so"), "\(direct)")
    }
}
