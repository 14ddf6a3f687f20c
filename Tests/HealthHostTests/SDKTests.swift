import Foundation
import HealthConfig
import HealthCore
import HealthHostApp
import HealthPluginLoader
import HealthSwiftVersion
import Testing

/// The Swift plugin SDK end to end: Tests/Fixtures/SDKTestPlugin, built by SwiftPM as a
/// real shared library, loaded by the real loader, served by the real server.
/// Serialized: every host in this process shares the one loaded image, whose settings
/// each host's `init` replaces.
@Suite(.timeLimit(.minutes(2)), .serialized) struct SDKTests {
    private let pluginPath = TestPaths.builtLibrary("libsdktest-plugin.so")

    private func yaml(config: String = "{ sdktest: { greeting: hello, min_free_mb: 42, extra: x } }") -> String {
        hostYAML(plugins: [pluginPath], pluginConfig: config)
    }

    @Test func theDescriptorCarriesNamesFlagsAndTimeouts() async throws {
        try await TestHost.with(yaml: yaml()) { host throws in
            let plugin = try #require(host.app.plugins.plugin(named: "sdktest"))
            #expect(plugin.descriptor.version == "0.9.0")
            #expect(plugin.descriptor.summary == "Exercises the Swift SDK.")
            #expect(plugin.descriptor.abiVersion.description == "1.3")
            // Swift plugins say which Swift runtime they need; the host checks it is its own.
            #expect(plugin.descriptor.swiftVersion == SwiftRuntimeVersion.host)
            let checks = Dictionary(uniqueKeysWithValues: plugin.descriptor.checks.map { ($0.name, $0) })
            #expect(checks["ok"]?.summary == "Always passes.")
            #expect(checks["ok"]?.isDefault == true && checks["fail"]?.isDefault == false)
            #expect(checks["ok"]?.isThreadSafe == true && checks["serial"]?.isThreadSafe == false)
            #expect(checks["context"]?.suggestedTimeout == .milliseconds(1500))
            #expect(checks["ok"]?.suggestedTimeout == nil)
            #expect(host.app.registry.defaults.map(\.name) == ["sdktest.ok", "sdktest.warn"])
        }
    }

    @Test func resultsReachTheHTTPAPI() async throws {
        try await TestHost.with(yaml: yaml()) { host throws in
            let defaults = try await host.get("/health/?auth=s3cret")
            #expect(defaults.status == 200)
            #expect(defaults.body.contains(#""checks":{"sdktest.ok":true,"sdktest.warn":true}"#))
            let failing = try await host.get("/health/?checks=sdktest.ok,sdktest.fail&auth=s3cret")
            #expect(failing.status == 503)
            #expect(failing.body.contains(#""checks":{"sdktest.fail":false,"sdktest.ok":true}"#))
        }
    }

    @Test func statusesMessagesAndObservedValuesArrive() async throws {
        try await TestHost.with(yaml: yaml()) { host throws in
            #expect(try await host.report("sdktest.ok").result == .pass("fine"))
            #expect(
                try await host.report("sdktest.warn").result
                    == HealthCore.CheckResult(status: .warn, message: "getting full", observedValue: 91.5, observedUnit: "percent"))
            #expect(try await host.report("sdktest.fail").result == .fail("database unreachable"))
        }
    }

    @Test func thrownErrorsBecomeFailuresWithTheirText() async throws {
        try await TestHost.with(yaml: yaml()) { host throws in
            #expect(try await host.report("sdktest.throws_localized").result == .fail("disk /data is full"))
            #expect(try await host.report("sdktest.throws_plain").result == .fail("PlainError.brokenPipe"))
            #expect(try await host.get("/health/?checks=sdktest.throws_plain&auth=s3cret").status == 503)
        }
    }

    @Test func longUTF8TextIsCutAtACharacterBoundary() async throws {
        try await TestHost.with(yaml: yaml()) { host throws in
            // 2000 three-byte characters into a 1024-byte buffer: 341 whole ones (1023 bytes).
            let long = try await host.report("sdktest.long").result.message
            #expect(long == String(repeating: "€", count: 341))
            // A 40 × 2-byte unit into 32 bytes: 15 whole characters.
            let unit = try await host.report("sdktest.long_unit").result
            #expect(unit.observedUnit == String(repeating: "µ", count: 15))
            #expect(unit.observedValue == 1)
        }
    }

    @Test func theContextCarriesTheConfiguredNameAndTimeout() async throws {
        try await TestHost.with(yaml: yaml()) { host throws in
            #expect(try await host.report("sdktest.context").result == .pass("sdktest.context within 1.5 seconds"))
        }
    }

    @Test func startDecodesThePluginConfiguration() async throws {
        try await TestHost.with(yaml: yaml()) { host throws in
            #expect(try await host.report("sdktest.settings").result == .pass("hello 42"))
        }
    }

    @Test func aConfigurationThatDoesNotDecodeStopsLoadingAndNamesTheKey() throws {
        for (config, expected) in [
            ("{ sdktest: { greeting: hello } }", "init failed: config: missing key 'min_free_mb'"),
            ("{ sdktest: { greeting: hello, min_free_mb: lots } }", "init failed: config: min_free_mb: expected Int"),
            (
                "{ sdktest: { greeting: hello, min_free_mb: 1, min_fre_mb: 2 } }",
                "init failed: config: unknown key 'min_fre_mb' (known keys here: extra, greeting, min_free_mb, shutdown_marker)"
            ),
        ] {
            let error = #expect(throws: (any Error).self) { try TestHost.build(yaml: yaml(config: config)) }
            let text = "\(error.map { "\($0)" } ?? "")"
            #expect(text.contains(pluginPath), "\(text)")
            #expect(text.contains(expected), "\(text)")
        }
    }

    @Test func checksDeclaredNotThreadSafeAreSerialisedByTheEngine() async throws {
        try await TestHost.with(yaml: yaml()) { host throws in
            let check = try #require(host.app.registry.check(named: "sdktest.serial"))
            #expect(check.implementation.serializationKey == "sdktest.serial")
            let reports = await host.app.engine.reports(for: [check])
            #expect(reports.first?.result.message.hasPrefix("call ") == true)
        }
    }

    @Test func logsReachTheHostLoggerAndShutdownRuns() async throws {
        let marker = TestPaths.temporaryDirectory("sdk-shutdown") + "/marker"
        let capture = LogCapture()
        let loaded = try ConfigurationLoader.parse(
            yaml: yaml(config: "{ sdktest: { greeting: hi, min_free_mb: 1, extra: x, shutdown_marker: \"\(marker)\" } }")
                + "logging: { level: debug }\n",
            file: "test.yaml", directory: NSTemporaryDirectory())
        let app = try HostApplication.build(
            configuration: loaded, options: .init(port: 0, workerExecutable: TestPaths.executable), logger: capture.logger())
        let check = try #require(app.registry.check(named: "sdktest.context"))
        _ = await app.engine.report(for: check)
        app.shutdown()
        let lines = capture.all
        #expect(lines.contains("info plugin=sdktest sdktest started on healthhost 0.1.0, extra=x"), "\(lines)")
        #expect(lines.contains("info plugin=sdktest context check ran as sdktest.context"), "\(lines)")
        #expect(lines.contains("warning plugin=sdktest sdktest shut down"), "\(lines)")
        #expect(FileManager.default.fileExists(atPath: marker))
    }
}

extension SDKTests {
    @Test func infoSectionsReachTheEnvironmentEndpoints() async throws {
        let http = "\nhttp:\n  runscope: { enabled: true }\n  heartbeat: { enabled: true }\n"
        try await TestHost.with(yaml: yaml() + http) { host throws in
            #expect(host.app.plugins.plugin(named: "sdktest")?.descriptor.infoSection == "sdk_info")
            let environment = try await host.get("/environment?auth=s3cret").json
            let section = environment["sdk_info"] as? [String: String]
            #expect(section?["greeting"] == "hello")
            #expect(section?["secret_token"] == "********")
            let environ = try await host.get("/.well-known/heartbeat/environ?auth=s3cret").json
            #expect((environ["sdk_info"] as? [String: String])?["greeting"] == "hello")
        }
    }
}

extension SDKTests {
    /// The SDK's typed parameters, configured under `checks[].args`.
    private func parameterYAML(_ checks: String) -> String {
        hostYAML(
            plugins: [pluginPath], pluginConfig: "{ sdktest: { greeting: hello, min_free_mb: 42 } }", checks: checks)
            + "http:\n  runscope: { enabled: true }\n"
    }

    @Test func typedParametersAreDeclaredInTheDescriptor() async throws {
        try await TestHost.with(yaml: yaml()) { host throws in
            let plugin = try #require(host.app.plugins.plugin(named: "sdktest"))
            let typed = try #require(plugin.descriptor.checks.first { $0.name == "typed" })
            #expect(typed.argumentsInCall)
            #expect(typed.parameters.map(\.name) == ["text", "count", "ratio", "loud"])
            #expect(typed.parameters.map(\.kind) == [.string, .int, .double, .bool])
            #expect(typed.parameters.map(\.defaultValue) == [nil, "3", "0.25", "false"])
            #expect(typed.parameters[0].summary == "Any text.")
            let login = try #require(plugin.descriptor.checks.first { $0.name == "login" })
            #expect(login.parameters.map(\.isSecret) == [false, true])
            // Without a checks list, checks whose parameters all have defaults are served.
            #expect(host.app.registry.check(named: "sdktest.free_space") != nil)
            #expect(host.app.registry.check(named: "sdktest.typed") == nil)
        }
    }

    @Test func configuredArgumentsReachTheClosureWithTheirTypes() async throws {
        let checks = """
              - { name: plain, plugin: sdktest, check: typed, args: { text: "grüße" } }
              - { name: loud, plugin: sdktest, check: typed, args: { text: "grüße", count: -9000000000, ratio: 2, loud: true } }
              - { name: data-disk, plugin: sdktest, check: free_space, args: { path: /var/lib/data } }
            """
        try await TestHost.with(yaml: parameterYAML(checks)) { host throws in
            #expect(
                try await host.report("plain").result
                    == HealthCore.CheckResult(status: .pass, message: "plain: grüße x3 ratio 0.25", observedValue: 0.25, observedUnit: "ratio"))
            #expect(try await host.report("loud").result.message == "loud: GRÜSSE x-9000000000 ratio 2.0")
            #expect(try await host.report("data-disk").result == .pass("/var/lib/data needs 1 MB"))
            // The same through the HTTP API.
            let response = try await host.get("/healthcheck?checks=loud,data-disk", headers: ["Authorization": "Bearer s3cret"])
            let outputs = (response.json["results"] as? [[String: Any]])?.map { $0["output"] as? String }
            #expect(outputs == ["loud: GRÜSSE x-9000000000 ratio 2.0", "/var/lib/data needs 1 MB"], "\(response.body)")
        }
    }

    @Test func aSecretArgumentInAThrownErrorIsScrubbed() async throws {
        let checks = "  - { name: login, plugin: sdktest, check: login, args: { token: tok-123456 } }"
        try await TestHost.with(yaml: parameterYAML(checks)) { host throws in
            #expect(try await host.report("login").result == .fail("login refused for app with token ********"))
        }
    }

    @Test func argumentsOfTheWrongTypeStopStartUp() throws {
        let checks = "  - { name: t, plugin: sdktest, check: typed, args: { text: a, ratio: high } }"
        #expect {
            _ = try TestHost.build(yaml: parameterYAML(checks))
        } throws: { error in
            "\(error)".contains("checks[0].args.ratio: parameter 'ratio' of 'sdktest.typed' expects a number, found 'high'")
        }
    }
}
