import Foundation
import HealthCore
import HealthHostApp
import HealthPluginLoader
import Testing

/// Typed parameters: configured arguments reach C check functions with their C types,
/// as C arguments (through libffi) or in `hh_call.args`, and secret ones stay secret.
@Suite(.timeLimit(.minutes(2))) struct ParameterTests {
    private let auth = ["Authorization": "Bearer s3cret"]

    private func yaml(_ checks: String, plugins: [String]? = nil, http: String = "  runscope: { enabled: true }") async throws -> String {
        let files = if let plugins { plugins } else { [try await PluginCompiler.paramkit()] }
        return hostYAML(plugins: files, checks: checks) + "http:\n\(http)\n"
    }

    /// `/healthcheck` outputs by check name.
    private func outputs(_ host: TestHost, _ names: String) async throws -> [String: String] {
        let response = try await host.get("/healthcheck?checks=\(names)", headers: auth)
        let results = try #require(response.json["results"] as? [[String: Any]], "\(response.body)")
        return results.reduce(into: [:]) { $0[$1["checker"] as? String ?? "?"] = $1["output"] as? String }
    }

    @Test func configuredArgumentsArriveAsTypedCArguments() async throws {
        let checks = """
              - { name: typed, plugin: paramkit, check: echo, args: { text: "héllo wörld", count: -42, ratio: 2.5, flag: false } }
              - { name: defaults, plugin: paramkit, check: echo, args: { text: plain } }
              - { name: quoted, plugin: paramkit, check: echo, args: { text: 123, count: "9", ratio: 1, flag: "true" } }
            """
        try await TestHost.with(yaml: try yaml(checks)) { host throws in
            #expect(
                try await outputs(host, "typed,defaults,quoted") == [
                    "typed": "text=héllo wörld count=-42 ratio=2.500 flag=false args=4",
                    "defaults": "text=plain count=7 ratio=0.500 flag=true args=4",
                    "quoted": "text=123 count=9 ratio=1.000 flag=true args=4",
                ])
            // The function's status and observed value come back too (flag=false → warn).
            let detail = try await host.get("/health/?checks=typed&\("auth=s3cret")", headers: ["Accept": "application/health+json"])
            #expect(detail.body.contains("\"observedValue\":2.5"), "\(detail.body)")
            #expect(detail.body.contains("\"status\":\"warn\""), "\(detail.body)")
        }
    }

    @Test func sixteenMixedArgumentsSpillIntoTheStackIntact() async throws {
        let checks = """
              - { name: wide, plugin: paramkit, check: wide }
              - { name: wider, plugin: paramkit, check: wide, args: { s0: x, s9: y, i1: -1, i11: 1000000000000, d15: -0.5, b4: false, b13: true } }
            """
        try await TestHost.with(yaml: try yaml(checks)) { host throws in
            #expect(
                try await outputs(host, "wide,wider") == [
                    "wide": "ab ints=321 doubles=29.50 bools=10 last=7.75",
                    "wider": "xy ints=1000000000019 doubles=21.25 bools=01 last=-0.50",
                ])
        }
    }

    @Test func argumentsInCallReachAFunctionWithThePlainSignature() async throws {
        let checks = "  - { name: c, plugin: paramkit, check: in_call, args: { path: /var/lib, strict: true } }"
        try await TestHost.with(yaml: try yaml(checks)) { host throws in
            #expect(try await outputs(host, "c") == ["c": "path=/var/lib limit=10 strict=true types=124 args=3"])
        }
    }

    @Test func oneFunctionServesManyConfiguredChecksConcurrently() async throws {
        let checks = (0..<12).map { "  - { name: e\($0), plugin: paramkit, check: echo, args: { text: t\($0), count: \($0) } }" }
            .joined(separator: "\n")
        try await TestHost.with(yaml: try yaml(checks)) { host throws in
            let names = (0..<12).map { "e\($0)" }.joined(separator: ",")
            let outputs = try await outputs(host, names)
            for index in 0..<12 {
                #expect(outputs["e\(index)"] == "text=t\(index) count=\(index) ratio=0.500 flag=true args=4")
            }
        }
    }

    @Test func aSecretArgumentIsScrubbedFromMessagesLogsAndTheEnvironment() async throws {
        let checks = "  - { name: login, plugin: paramkit, check: login, args: { dsn_part: hunter2-xyz } }"
        let http = "  runscope: { enabled: true }"
        let capture = LogCapture()
        try await TestHost.with(yaml: try yaml(checks, http: http), logger: capture.logger()) { host throws in
            #expect(try await outputs(host, "login") == ["login": "could not log in as app with password ********"])
            #expect(capture.all.contains("warning plugin=paramkit login as app with ******** refused"), "\(capture.all)")
            #expect(!capture.all.joined().contains("hunter2-xyz"))
            let environment = try await host.get("/environment", headers: auth)
            #expect(environment.status == 200)
            #expect(!environment.body.contains("hunter2-xyz"))
            let config = try #require(environment.json["config"] as? [String: Any])
            let entry = try #require((config["checks"] as? [[String: Any]])?.first)
            #expect(entry["args"] as? [String: String] == ["dsn_part": "********"])
        }
    }

    @Test func withoutAChecksListChecksWhoseParametersAllHaveDefaultsAreServed() async throws {
        let yaml = hostYAML(plugins: [try await PluginCompiler.paramkit()]) + "http:\n  runscope: { enabled: true }\n"
        try await TestHost.with(yaml: yaml) { host throws in
            #expect(host.app.registry.names.sorted() == ["paramkit.in_call", "paramkit.wide"])
            #expect(try await outputs(host, "paramkit.in_call") == ["paramkit.in_call": "path=/ limit=10 strict=false types=124 args=3"])
        }
    }

    @Test func aPluginBuiltForABI11CannotAskForArgumentsInCall() async throws {
        let path = try await PluginCompiler.paramkit(["ABI_1_1"], fileName: "hh-paramkit-11.so")
        #expect {
            _ = try TestHost.build(yaml: hostYAML(plugins: [path]))
        } throws: { error in
            "\(error)".contains(
                "checks[4] ('in_call'): unknown flag bits 0x4 (a plugin built for ABI 1.1 may set HH_CHECK_DEFAULT and "
                    + "HH_CHECK_THREAD_SAFE (HH_CHECK_ARGS_IN_CALL needs ABI 1.2))")
        }
    }

    @Test func badArgumentsStopStartUpNamingTheKeyAndLine() async throws {
        let cases = [
            (
                "  - { plugin: paramkit, check: echo, args: { text: a, count: 2.5 } }",
                "checks[0].args.count: parameter 'count' of 'paramkit.echo' expects a whole number (64-bit), found '2.5'"
            ),
            (
                "  - { plugin: paramkit, check: echo, args: { text: a, ratio: fast } }",
                "checks[0].args.ratio: parameter 'ratio' of 'paramkit.echo' expects a number, found 'fast'"
            ),
            (
                "  - { plugin: paramkit, check: echo, args: { text: a, flag: yes please } }",
                "checks[0].args.flag: parameter 'flag' of 'paramkit.echo' expects true or false, found 'yes please'"
            ),
            (
                "  - { plugin: paramkit, check: echo, args: { text: [a, b] } }",
                "checks[0].args.text: parameter 'text' of 'paramkit.echo' expects text, found a list"
            ),
            ("  - { plugin: paramkit, check: echo }", "checks[0].args: missing required argument 'text' (string)"),
            (
                "  - { plugin: paramkit, check: vault, args: { pin: hunter2 } }",
                "checks[0].args.pin: parameter 'pin' of 'paramkit.vault' expects a whole number (64-bit), "
                    + "found a value of another type (not shown: the parameter is secret)"
            ),
            (
                "  - { plugin: paramkit, check: login, args: { dsn_part: x, pasword: y } }",
                "checks[0].args.pasword: check 'paramkit.login' has no parameter 'pasword' (its parameters: user, dsn_part)"
            ),
        ]
        for (checks, expected) in cases {
            let yaml = try await yaml(checks)
            #expect {
                _ = try TestHost.build(yaml: yaml)
            } throws: { error in
                "\(error)".contains("test.yaml:7:") && "\(error)".contains(expected) && !"\(error)".contains("hunter2")
            }
        }
    }
}
