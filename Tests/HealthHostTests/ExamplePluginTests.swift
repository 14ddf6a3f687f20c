import Foundation
import HealthCore
import Testing

/// Examples/swift-plugin, the template for plugins in their own package: built with
/// `swift build --package-path` exactly as a third party would, loaded by the real
/// loader, served over HTTP.
@Suite(.timeLimit(.minutes(2))) struct ExamplePluginTests {
    @Test func theTemplatePackageBuildsAndItsPluginServesChecks() async throws {
        let package = TestPaths.packageRoot.appendingPathComponent("Examples/swift-plugin").path
        let build = try await runOffThePool("/usr/bin/env", ["swift", "build", "--package-path", package])
        try #require(build.status == 0, "swift build of the template failed:\n\(build.output)")
        let library = package + "/.build/debug/libhh-example.so"
        #expect(FileManager.default.fileExists(atPath: library))

        let marker = TestPaths.temporaryDirectory("example") + "/marker"
        let yaml = hostYAML(plugins: [library], pluginConfig: "{ example: { marker: \"\(marker)\" } }")
        try await TestHost.with(yaml: yaml) { host throws in
            #expect(try await host.get("/health/?auth=s3cret").body.contains(#""checks":{"example.always_ok":true}"#))
            #expect(try await host.report("example.marker").result == .fail("the marker file \(marker) is missing"))
            #expect(FileManager.default.createFile(atPath: marker, contents: Data()))
            #expect(try await host.report("example.marker").result == .pass("found \(marker)"))
            #expect(try await host.get("/health/?checks=example.marker&auth=s3cret").status == 200)
        }

        // Its parameterized check, one configured check per variable.
        let checks = """
              - { name: path-set, plugin: example, check: env, args: { name: PATH } }
              - { name: needed, plugin: example, check: env, args: { name: HH_NO_SUCH_VARIABLE } }
              - { name: optional, plugin: example, check: env, args: { name: HH_NO_SUCH_VARIABLE, required: false } }
            """
        let configured = hostYAML(plugins: [library], pluginConfig: "{ example: { marker: \"\(marker)\" } }", checks: checks)
        try await TestHost.with(yaml: configured) { host throws in
            #expect(try await host.report("path-set").result == .pass("PATH is set"))
            #expect(try await host.report("needed").result == .fail("HH_NO_SUCH_VARIABLE is not set"))
            #expect(try await host.report("optional").result == .warn("HH_NO_SUCH_VARIABLE is not set (optional)"))
            #expect(try await host.get("/health/?checks=path-set,optional&auth=s3cret").status == 200)
            #expect(try await host.get("/health/?checks=needed&auth=s3cret").status == 503)
        }
    }
}
