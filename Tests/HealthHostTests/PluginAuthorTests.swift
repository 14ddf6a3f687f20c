import Foundation
import HealthCore
import HealthHostApp
import HealthPluginLoader
import Testing

/// The rough edges a C programmer met writing a plugin from include/ alone, each now
/// smooth: the entry symbol is declared (typo-proof, -Wmissing-prototypes quiet, C
/// linkage in C++), `context` is const, parameter arrays are counted, an older host can
/// be targeted, and the host's messages say what to do.
@Suite(.timeLimit(.minutes(2)), .serialized) struct PluginAuthorTests {
    private let source = "\(TestPaths.fixtures)/authorkit.c"

    private func compile(_ compiler: [String], defines: [String] = [], fileName: String) async throws -> String {
        let output = TestPaths.temporaryDirectory("author") + "/\(fileName)"
        let result = try await runOffThePool(
            "/usr/bin/env",
            compiler + [
                "-Wall", "-Wextra", "-pedantic", "-Werror", "-shared", "-fPIC",
                "-fvisibility=hidden", "-I", TestPaths.include,
            ] + defines.map { "-D\($0)" } + ["-o", output, source])
        #expect(result.status == 0, "\(compiler.joined(separator: " ")): \(result.output)")
        return output
    }

    private func greet(_ plugin: String) async throws -> (String, String) {
        var abi = ""
        var message = ""
        let yaml = hostYAML(plugins: [plugin], checks: "  - { name: hi, plugin: authorkit, check: greet, args: { name: ops } }")
        try await TestHost.with(yaml: yaml) { host throws in
            message = try await host.report("hi").result.message
            abi = "\(try #require(host.app.plugins.plugin(named: "authorkit")).descriptor.abiVersion)"
        }
        return (abi, message)
    }

    @Test func aCPluginBuildsWithMissingPrototypesAsAnErrorAndConstContext() async throws {
        let plugin = try await compile(["cc", "-std=c99", "-Wmissing-prototypes"], fileName: "hh-authorkit.so")
        let (abi, message) = try await greet(plugin)
        #expect(abi == "1.3")
        #expect(message == "hello ops")
    }

    @Test func aCppPluginKeepsCLinkageWithoutExternCOfItsOwn() async throws {
        let plugin = try await compile(
            // g++ warns of designated initialisers that leave members out; C leaves them zero alike.
            ["g++", "-std=c++20", "-x", "c++", "-Wno-missing-field-initializers"], fileName: "hh-authorkit-cpp.so")
        let symbols = try await runOffThePool("/usr/bin/env", ["nm", "-D", "--defined-only", plugin])
        #expect(symbols.output.contains(" T hh_plugin_entry_v1"), "\(symbols.output)")
        #expect(try await greet(plugin).1 == "hello ops")
    }

    @Test func anOlderHostMinorCanBeTargeted() async throws {
        let plugin = try await compile(["cc", "-std=c99"], defines: ["HH_TARGET_ABI_MINOR=2"], fileName: "hh-authorkit-12.so")
        let (abi, message) = try await greet(plugin)
        #expect(abi == "1.2")
        #expect(message == "hello ops")
    }

    @Test func aPluginFileTheFolderRuleSkipsIsNamedWhenACheckAsksForIt() async throws {
        let folder = TestPaths.temporaryDirectory("skipped")
        let plugin = try await compile(["cc", "-std=c99"], fileName: "probe.so")
        try FileManager.default.copyItem(atPath: plugin, toPath: "\(folder)/probe.so")
        try FileManager.default.copyItem(atPath: try await PluginCompiler.core(), toPath: "\(folder)/hh-core.so")
        let yaml = hostYAML(plugins: [folder], checks: "  - { name: hi, plugin: authorkit, check: greet }")
        let error = #expect(throws: StartupError.self) { try TestHost.build(yaml: yaml) }
        #expect(
            "\(String(describing: error))".contains(
                "no loaded plugin is named 'authorkit' (loaded: core); not loaded from \(folder): probe.so (folders load only hh-*.so and libhh-*.so"),
            "\(String(describing: error))")
    }

    @Test func aMissingEntrySymbolSaysHowEachLanguageExportsIt() async throws {
        let folder = TestPaths.temporaryDirectory("noentry")
        let file = "\(folder)/noentry.c"
        try "int hh_plugin_entry_v2(void) { return 0; }\n".write(toFile: file, atomically: true, encoding: .utf8)
        let library = "\(folder)/hh-noentry.so"
        _ = try await runOffThePool("/usr/bin/env", ["cc", "-shared", "-fPIC", "-o", library, file])
        let error = #expect(throws: StartupError.self) { try TestHost.build(yaml: hostYAML(plugins: [library])) }
        let text = "\(String(describing: error))"
        for hint in ["@c(hh_plugin_entry_v1) public func", "HH_EXPORT", "-fvisibility=hidden", #"extern "C""#, "nm -D"] {
            #expect(text.contains(hint), "\(text)")
        }
    }

    @Test func aSecretArgumentShorterThanFourCharactersIsRefused() async throws {
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.crashkit()], pluginConfig: "{ crashkit: { init: normal } }",
            checks: "  - { name: echo, plugin: crashkit, check: echo, args: { word: hi, token: abc } }")
        let error = #expect(throws: StartupError.self) { try TestHost.build(yaml: yaml) }
        #expect(
            "\(String(describing: error))".contains(
                "checks[0].args.token: secret parameter 'token' of 'crashkit.echo' is shorter than 4 characters"),
            "\(String(describing: error))")
    }

    @Test func healthhostPluginsListsTheBrokenEvenWhenAConfiguredCheckNeedsOne() async throws {
        let broken = try await PluginCompiler.broken(["ABI_MAJOR_2"])
        let directory = TestPaths.temporaryDirectory("plugins-cmd")
        let config = "\(directory)/healthhost.yaml"
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.core(), broken],
            checks: "  - { name: needs, plugin: broken, check: anything }")
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await runOffThePool(TestPaths.executable, ["plugins", "--config", config])
        #expect(result.status == 1)
        #expect(result.output.contains("core 1.0.0"), "\(result.output)")
        #expect(result.output.contains("broken:\n  \(broken)"), "\(result.output)")
    }

    @Test func configGetAndStringParametersGetScalarsAsWrittenTypedOnesAsYAMLTypedThem() async throws {
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.testkit(fileName: "hh-testkit-written.so"), try await PluginCompiler.crashkit()],
            pluginConfig: "{ testkit: { greeting: 0644, nested: { level: 1.10 } }, crashkit: { init: normal } }",
            checks: """
                  - { name: config, plugin: testkit, check: config }
                  - { name: echo, plugin: crashkit, check: echo, args: { word: 007, times: 0x10, token: tok-9f8e } }
                  - { name: yes, plugin: crashkit, check: echo, args: { word: yes, token: tok-9f8e } }
                """)
        try await TestHost.with(yaml: yaml) { host throws in
            let config = try await host.report("config").result.message
            #expect(config.hasPrefix("greeting=0644 nested=1.10 json="), "\(config)")
            // The JSON handed to init keeps YAML's types.
            #expect(config.contains(#""greeting":420"#) && config.contains(#""level":1.1"#), "\(config)")
            // A string parameter gets the text; an int parameter YAML's number (0x10 is 16).
            #expect(try await host.report("echo").result.message == "007 x16 (token ********)")
            #expect(try await host.report("yes").result.message.hasPrefix("yes x"))
        }
    }
}
