import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `healthhost` binary.
@Suite(.timeLimit(.minutes(2))) struct CLITests {
    private func configFile(_ yaml: String) -> String {
        let path = TestPaths.temporaryDirectory("cli") + "/healthhost.yaml"
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        return path
    }

    private func standardConfig() async throws -> String {
        configFile(
            hostYAML(
                plugins: [try await PluginCompiler.core(), try await PluginCompiler.testkit()],
                checks: """
                      - { name: foo, plugin: core, check: "true" }
                      - { name: "false", plugin: core, check: "false", default: true }
                      - { name: warn, plugin: testkit, check: warn }
                    """))
    }

    private func healthhost(_ arguments: [String], environment: [String: String]? = nil) async throws
        -> (status: Int32, output: String)
    {
        try await runOffThePool(TestPaths.executable, arguments, environment: environment)
    }

    @Test func theBundledExampleConfigValidatesWithTheBundledPlugins() async throws {
        // The README's demo: Examples/healthhost.yaml loads ../.build/debug, where
        // SwiftPM put libhh-core.so and libhh-system.so for this test run.
        let example = TestPaths.packageRoot.appendingPathComponent("Examples/healthhost.yaml").path
        let result = try await healthhost(["validate", "--config", example])
        #expect(result.status == 0, "\(result.output)")
        let plugins = try await healthhost(["plugins", "--config", example])
        #expect(plugins.output.contains("core 1.0.0"))
        #expect(plugins.output.contains("system 1.0.0"))
        #expect(!plugins.output.contains("sdktest"), "the SDK test plugin must stay out of plugin folders")
    }

    @Test func usageErrorsExit64WithTheProblemAndTheUsage() async throws {
        let cases: [([String], [String])] = [
            (
                ["serve"],
                [
                    "Error: Missing expected argument '--config <config>'", "Help:  --config <config>  The YAML config file.",
                    "Usage: healthhost serve --config <config> [--host <host>] [--port <port>]",
                ]
            ),
            (["serve", "--config", "x.yaml", "--bogus"], ["Error: Unknown option '--bogus'", "See 'healthhost serve --help'"]),
            (["serve", "--config", "x.yaml", "--port", "abc"], ["Error: The value 'abc' is invalid for '--port <port>'"]),
            (["check", "--config"], ["Error: Missing value for '--config <config>'"]),
            (["validate", "--config", "x.yaml", "extra"], ["Error: Unexpected argument 'extra'"]),
            (["nope"], ["Error: Unexpected argument 'nope'", "Usage: healthhost <subcommand>"]),
            (["help", "nope"], ["Error: Unexpected argument 'nope'"]),
        ]
        for (arguments, lines) in cases {
            let result = try await healthhost(arguments)
            #expect(result.status == 64, "\(arguments): \(result.output)")
            for line in lines { #expect(result.output.contains(line), "\(arguments): \(result.output)") }
        }
    }

    @Test func helpVersionAndBothOptionSpellings() async throws {
        let root = try await healthhost(["--help"])
        #expect(root.status == 0)
        for command in ["serve", "check", "plugins", "validate"] { #expect(root.output.contains("\n  \(command) "), "\(root.output)") }
        #expect(!root.output.contains("worker"), "the internal command stays out of the help")
        #expect(try await healthhost([]).output == root.output)
        let check = try await healthhost(["help", "check"])
        #expect(check.status == 0)
        #expect(check.output.contains("USAGE: healthhost check --config <config> [--checks <checks>]"), "\(check.output)")
        #expect(check.output.contains("Doubles as a Kubernetes exec probe and a Nagios plugin."))
        #expect(try await healthhost(["check", "--help"]).output == check.output)
        let version = try await healthhost(["--version"])
        #expect(version.status == 0)
        #expect(version.output.split(separator: ".").count == 3, "\(version.output)")
        // `--config=PATH` and `--config PATH` are the same.
        let config = try await standardConfig()
        let joined = try await healthhost(["validate", "--config=\(config)"])
        #expect(joined.status == 0, "\(joined.output)")
        #expect(joined.output.contains("\(config): OK"))
    }

    @Test func checkExitsWithTheNagiosCodeOfTheWorstResult() async throws {
        let config = try await standardConfig()
        let passing = try await healthhost(["check", "--config", config, "--checks", "foo"])
        #expect(passing.status == 0)
        #expect(passing.output.contains("CHECK"))
        #expect(passing.output.contains("foo    PASS"))
        let warning = try await healthhost(["check", "--config", config, "--checks", "foo,warn"])
        #expect(warning.status == 1)
        #expect(warning.output.contains("disk getting full [91.5 percent]"))
        let defaults = try await healthhost(["check", "--config", config])  // foo, false and warn
        #expect(defaults.status == 2)
        #expect(defaults.output.contains("false  FAIL"))
        let unknown = try await healthhost(["check", "--config", config, "--checks", "nope"])
        #expect(unknown.status == 3)
        #expect(unknown.output.contains("no check is registered as 'nope'"))
    }

    @Test func checkExits3OnAConfigError() async throws {
        let result = try await healthhost(["check", "--config", configFile("listen: { prot: 1 }\n")])
        #expect(result.status == 3)
        #expect(result.output.contains("healthhost.yaml:1:11: listen.prot: unknown key 'prot'"))
    }

    @Test func pluginsListsFilesDigestsVersionsChecksParametersAndBrokenPlugins() async throws {
        let core = try await PluginCompiler.core()
        let broken = try await PluginCompiler.broken(["ABI_MAJOR_2"])
        let config = configFile(hostYAML(plugins: [core, try await PluginCompiler.testkit(), try await PluginCompiler.dialectkit(), broken]))
        let result = try await healthhost(["plugins", "--config", config])
        #expect(result.status == 1)
        let sha = try await runOffThePool("/usr/bin/env", ["sha256sum", core]).output.prefix(64)
        #expect(result.output.contains("core 1.0.0\n"))
        #expect(result.output.contains("  file:    \(core)\n"))
        #expect(result.output.contains("  sha256:  \(sha)\n"))
        #expect(result.output.contains("  abi:     1.3\n"))
        #expect(result.output.contains("    true [default, thread-safe]  Always passes"))
        #expect(result.output.contains("    slow [thread-safe, timeout 300 ms]"))
        #expect(result.output.contains("      path (string, required)  Mount point."))
        #expect(result.output.contains("      min_free_mb (int, default 100)"))
        #expect(result.output.contains("      password (string, default ********, secret)"))
        #expect(result.output.contains("dialectkit 2.3.4\n"))
        #expect(result.output.contains("  info:    section 'dialectkit' in the environment endpoints\n"))
        #expect(result.output.contains("broken:\n  \(broken) [abiMismatch]: plugin built for ABI 2.0"))
    }

    @Test func validateReportsOKOrTheFirstError() async throws {
        let ok = try await healthhost(["validate", "--config", try standardConfig()])
        #expect(ok.status == 0)
        #expect(ok.output.contains("OK (2 plugin(s), 3 check(s))"))
        let missingAuth = try await healthhost(
            ["validate", "--config", configFile(hostYAML(plugins: [try await PluginCompiler.core()], auth: "{}"))], environment: [:])
        #expect(missingAuth.status == 1)
        #expect(missingAuth.output.contains("auth error: no secret is configured"))
    }

    @Test func serveSaysWhyItCannotStartEvenWithThePluginOutputGuardOnStandardError() async throws {
        // An in-process plugin puts the output guard (a drained pipe) on descriptor 2: the
        // start-up error printed just before exit could stay in that pipe, and serve
        // exited 1 without a word (a race: seen 3 times in a row by hand, so ten tries).
        let yaml = """
            auth: { disabled: true }
            listen: { port: 0 }
            plugins:
              paths: ["\(TestPaths.builtLibrary("libsdktest-plugin.so"))"]
              isolation: { sdktest: none }
              config: { sdktest: { greeting: hi } }
            """
        let path = configFile(yaml)
        for _ in 0..<10 {
            let result = try await healthhost(["serve", "--config", path])
            #expect(result.status == 1)
            #expect(result.output.contains("healthhost: plugin error: plugin "), "\(result.output)")
            #expect(result.output.contains("init failed: config: missing key"), "\(result.output)")
        }
    }

    @Test func serveListensStopsCleanlyOnSIGTERMAndNeverLogsTheSecret() async throws {
        let host = try ServedHost(
            yaml: hostYAML(plugins: [try await PluginCompiler.core()], auth: "{ secret: very-secret-value }"))
        let port = host.port
        try await host.waitUntilServing()
        #expect(try await RawHTTPClient.request(port: port, "GET", "/health/?auth=very-secret-value").status == 200)
        #expect(try await RawHTTPClient.request(port: port, "GET", "/health/?auth=guess").status == 401)
        let log = try await host.terminate()
        #expect(host.process.terminationStatus == 0)
        #expect(log.contains("loaded plugin core 1.0.0"))
        #expect(log.contains("serving check core.true"))
        #expect(log.contains("listening"))
        #expect(log.contains("127.0.0.1:\(port)"))
        #expect(log.contains("stopped"))
        #expect(!log.contains("very-secret-value"))
    }
}

extension CLITests {
    @Test func sigtermFailsReadinessAtOnceAndServesUntilTheShutdownDelayEnds() async throws {
        let host = try ServedHost(
            yaml: hostYAML(
                plugins: [try await PluginCompiler.core()],
                checks: "  - { name: ok, plugin: core, check: \"true\", groups: [liveness, readiness] }",
                extra: "http: { shutdown_delay: 2 }\n"))
        let port = host.port
        let process = host.process
        try await waitUntilAnswering(port: port, "/readyz", stillRunning: { process.isRunning })
        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        // Within a second of the signal (the delay is 2 s): readiness fails, the host serves on.
        let draining = await poll(timeout: .seconds(1)) { () -> RawHTTPResponse? in
            let response = try? await RawHTTPClient.request(port: port, "GET", "/readyz")
            return response?.status == 500 ? response : nil
        }
        #expect(draining?.body.contains("[-]shutdown failed") == true)
        #expect(try await RawHTTPClient.request(port: port, "GET", "/livez").status == 200)
        #expect(process.isRunning)
        #expect(await poll(until: { !process.isRunning }))
        #expect(process.terminationStatus == 0)
        #expect(Date().timeIntervalSince(signalled) >= 1.9)
    }
}
