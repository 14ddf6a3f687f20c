import Foundation
import HealthCore
import HealthPluginLoader
import Logging
import Testing

/// The header is judged by a plugin author who reads only `include/`.
@Suite(.timeLimit(.minutes(2))) struct HeaderTests {
    @Test func headerCompilesCleanlyAsC99AndCxx() async throws {
        let header = "\(TestPaths.include)/healthhost_plugin.h"
        let c = try await runOffThePool(
            "/usr/bin/env", ["cc", "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", "-x", "c", header])
        #expect(c.status == 0, "\(c.output)")
        #expect(c.output.isEmpty)
        let cxx = try await runOffThePool(
            "/usr/bin/env", ["c++", "-std=c++11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", "-x", "c++", header])
        #expect(cxx.status == 0, "\(cxx.output)")
    }

    /// The C source of the example in the header's comments that starts with the line
    /// containing `firstLine` and ends with the entry function, written to a file.
    private func headerExample(startingWith firstLine: String, fileName: String) throws -> String {
        let header = try String(contentsOfFile: "\(TestPaths.include)/healthhost_plugin.h", encoding: .utf8)
        let lines = header.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.contains(firstLine) }, "no example starts with \(firstLine)")
        let end = try #require(
            lines[start...].firstIndex { $0.contains("hh_plugin_entry_v1(void) { return &plugin; }") }, "the example has no entry")
        let source = lines[start...end].map { line in
            var text = Substring(line)
            if text.hasPrefix(" *") { text = text.dropFirst(2) }
            return String(text.hasPrefix("     ") ? text.dropFirst(4) : text)
        }.joined(separator: "\n")
        let file = "\(TestPaths.temporaryDirectory("header-example"))/\(fileName)"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The complete plugin in the header's opening comment builds with the documented
    /// command, loads, and its check runs.
    @Test func exampleInTheHeaderCommentIsAWorkingPlugin() async throws {
        let file = try headerExample(startingWith: "#include \"healthhost_plugin.h\"", fileName: "hello.c")
        let plugin = try await PluginCompiler.build(source: file, fileName: "hh-hello.so")

        let set = try PluginLoader(policy: .failFast, logger: TestHost.logger).load(paths: [plugin]) { _ in PluginSettings() }
        let hello = try #require(set.plugin(named: "hello"))
        #expect(hello.descriptor.version == "1.0.0")
        let check = try #require(hello.implementation(of: "hello"))
        let result = check.run(CheckInvocation(configuredName: "hello", timeout: .seconds(1)))
        #expect(result == CheckResult(status: .pass, message: "hello from C", observedValue: 42, observedUnit: "answers"))
    }

    /// The header's complete plugin with parameters (one check per way of receiving them)
    /// builds, and the host config in the same comment serves it.
    @Test func parameterExampleInTheHeaderIsAWorkingPlugin() async throws {
        let file = try headerExample(startingWith: "#define _POSIX_C_SOURCE 200809L", fileName: "disk.c")
        let plugin = try await PluginCompiler.build(source: file, fileName: "hh-disk.so")
        let checks = """
              - { name: data-disk, plugin: disk, check: free_space, args: { path: /, min_free_mb: 0 } }
              - { name: huge, plugin: disk, check: free_space, args: { min_free_mb: 999999999999 } }
              - { name: path-set, plugin: disk, check: env, args: { name: PATH } }
              - { name: optional, plugin: disk, check: env, args: { name: HH_NOT_SET_ANYWHERE, required: false } }
            """
        try await TestHost.with(yaml: hostYAML(plugins: [plugin], checks: checks)) { host throws in
            let disk = try await host.report("data-disk").result
            #expect(disk.status == .pass, "\(disk.message)")
            #expect(disk.message.hasSuffix(" MB free at /"))
            #expect(disk.observedUnit == "MB")
            #expect(try await host.report("huge").result.status == .fail)
            #expect(try await host.report("path-set").result == .pass("PATH is set"))
            #expect(try await host.report("optional").result == CheckResult(status: .warn, message: "HH_NOT_SET_ANYWHERE is not set"))
        }
    }
}
