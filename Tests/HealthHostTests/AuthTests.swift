import Foundation
import HealthConfig
import HealthDialects
import HealthHTTP
import HealthHostApp
import NIOHTTP1
import Testing

/// The shared secret: how a request presents it, through RouterHarness; where the host
/// reads it from, through hosts built from YAML.
@Suite(.timeLimit(.minutes(2))) struct AuthTests {
    private func yaml(_ auth: String) async throws -> String {
        hostYAML(plugins: [try await PluginCompiler.core()], auth: auth)
    }

    private func harness() throws -> RouterHarness {
        let fakes = RouterHarness.FakeChecks()
        return try RouterHarness(checks: [fakes.check("core.true")]) {
            NativeDialect.routes(NativeDialectConfiguration(), context: $0)
        }
    }

    @Test func missingOrWrongSecretIs401WithAJSONBody() async throws {
        let harness = try harness()
        for response in [
            try await harness.get("/health/"), try await harness.get("/health/?auth=wrong"),
            try await harness.get("/health/", headers: [("Authorization", "Bearer wrong")]),
            try await harness.get("/health/?auth=s3cre"), try await harness.get("/health/?auth=s3crett"),
        ] {
            #expect(response.status == .unauthorized)
            #expect(response.json["error"] as? String == "unauthorized")
            #expect(response.header("WWW-Authenticate") == "Bearer realm=\"healthhost\"")
            #expect(!response.text.contains("s3cret"))
        }
    }

    @Test func querySecretAndBearerHeaderBothWork() async throws {
        let harness = try harness()
        #expect(try await harness.get("/health/?auth=s3cret").status == .ok)
        #expect(try await harness.get("/health/", headers: [("Authorization", "Bearer s3cret")]).status == .ok)
        #expect(try await harness.get("/health/", headers: [("Authorization", "bearer s3cret")]).status == .ok)
        #expect(try await harness.get("/health/?auth=s%33cret").status == .ok)
    }

    // End to end from here on: where the secret comes from (the config file, the
    // environment, a mounted file and its rotation) is the host's, built from YAML.
    @Test func environmentVariableWinsOverTheConfig() async throws {
        try await TestHost.with(yaml: try yaml("{ secret: from-config }"), environment: ["HEALTH_URL_SECRET": "from-env"]) { host throws in
            #expect(try await host.get("/health/?auth=from-env").status == 200)
            #expect(try await host.get("/health/?auth=from-config").status == 401)
        }
    }

    @Test func secretFileIsReadAndItsTrailingNewlineIgnored() async throws {
        let file = TestPaths.temporaryDirectory("secret") + "/secret"
        try "mounted-secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        try await TestHost.with(yaml: try yaml("{ secret_file: \"\(file)\" }")) { host throws in
            #expect(try await host.get("/health/?auth=mounted-secret").status == 200)
        }
    }

    @Test func disabledAuthServesEveryone() async throws {
        try await TestHost.with(yaml: try yaml("{ disabled: true }")) { host throws in
            #expect(try await host.get("/health/").status == 200)
        }
    }

    @Test func withoutAnySecretTheHostRefusesToStartAndSaysHowToFixIt() async throws {
        let yaml = try await yaml("{}")
        #expect {
            _ = try TestHost.build(yaml: yaml)
        } throws: { error in
            let text = "\(error)"
            return text.contains("auth error") && text.contains("auth.secret_file") && text.contains("HEALTH_URL_SECRET")
                && text.contains("auth.disabled: true")
        }
    }

    @Test func anUnreadableSecretFileIsAnErrorThatNamesTheKey() async throws {
        let yaml = try await yaml("{ secret_file: /nonexistent/secret }")
        #expect {
            _ = try TestHost.build(yaml: yaml)
        } throws: { error in
            "\(error)".contains("auth.secret_file: cannot read the secret file /nonexistent/secret")
        }
    }

    @Test func anEmptyEnvironmentSecretIsRejected() async throws {
        let yaml = try await yaml("{ secret: x }")
        #expect(throws: StartupError.self) {
            _ = try TestHost.build(yaml: yaml, environment: ["HEALTH_URL_SECRET": ""])
        }
    }
}

extension AuthTests {
    @Test func aRotatedSecretFileTakesEffectWithoutARestart() async throws {
        let file = TestPaths.temporaryDirectory("secret") + "/secret"
        try "first-secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        let capture = LogCapture()
        let yaml = try await yaml("{ secret_file: \"\(file)\", reload_interval: 0.1 }")
        try await TestHost.with(yaml: yaml, logger: capture.logger()) { host throws in
            #expect(try await host.get("/health/?auth=first-secret").status == 200)
            try "second-secret\n".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try await poll(until: { try await host.get("/health/?auth=second-secret").status == 200 }))
            #expect(try await host.get("/health/?auth=first-secret").status == 401)
            #expect(capture.all.contains { $0.contains("auth secret reloaded") })

            // An emptied file keeps the secret in force and says so once.
            try "".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(await poll(until: { capture.all.contains { $0.contains("keeping the previous auth secret") } }))
            #expect(try await host.get("/health/?auth=second-secret").status == 200)
            #expect(!capture.all.contains { $0.contains("first-secret") || $0.contains("second-secret") })
        }
    }

    @Test func theEnvironmentSecretIsNotReplacedByTheFile() async throws {
        let file = TestPaths.temporaryDirectory("secret") + "/secret"
        try "file-secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        let yaml = try await yaml("{ secret_file: \"\(file)\", reload_interval: 0.1 }")
        try await TestHost.with(yaml: yaml, environment: ["HEALTH_URL_SECRET": "env-secret"]) { host throws in
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await host.get("/health/?auth=env-secret").status == 200)
            #expect(try await host.get("/health/?auth=file-secret").status == 401)
        }
    }
}
