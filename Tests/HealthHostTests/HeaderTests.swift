import Foundation
import HealthCore
import HealthPluginLoader
import Logging
import Testing

/// The header is judged by a plugin author who reads only `include/`.
@Suite struct HeaderTests {
    @Test func headerCompilesCleanlyAsC99AndCxx() async throws {
        let header = "\(TestPaths.include)/healthhost_plugin.h"
        let c = try await runOffThePool("/usr/bin/env", ["cc", "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", "-x", "c", header])
        #expect(c.status == 0, "\(c.output)")
        #expect(c.output.isEmpty)
        let cxx = try await runOffThePool("/usr/bin/env", ["c++", "-std=c++11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", "-x", "c++", header])
        #expect(cxx.status == 0, "\(cxx.output)")
    }

    /// The complete plugin in the header's opening comment builds with the documented
    /// command, loads, and its check runs.
    @Test func exampleInTheHeaderCommentIsAWorkingPlugin() async throws {
        let header = try String(contentsOfFile: "\(TestPaths.include)/healthhost_plugin.h", encoding: .utf8)
        let lines = header.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.contains("#include \"healthhost_plugin.h\"") }),
            let end = lines.firstIndex(where: { $0.contains("hh_plugin_entry_v1(void) { return &plugin; }") })
        else {
            Issue.record("the header comment has no complete example")
            return
        }
        let source = lines[start...end].map { line in
            var text = Substring(line)
            if text.hasPrefix(" *") { text = text.dropFirst(2) }
            return String(text.hasPrefix("     ") ? text.dropFirst(4) : text)
        }.joined(separator: "\n")
        let folder = TestPaths.temporaryDirectory("header-example")
        let file = "\(folder)/hello.c"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let plugin = try await PluginCompiler.build(source: file, fileName: "hh-hello.so")

        let set = try PluginLoader(policy: .failFast, logger: TestHost.logger).load(paths: [plugin]) { _ in PluginSettings() }
        let hello = try #require(set.plugin(named: "hello"))
        #expect(hello.description.version == "1.0.0")
        let check = try #require(hello.implementation(of: "hello"))
        let result = check.run(CheckInvocation(configuredName: "hello", timeout: .seconds(1)))
        #expect(result == CheckResult(status: .pass, message: "hello from C", observedValue: 42, observedUnit: "answers"))
    }
}
