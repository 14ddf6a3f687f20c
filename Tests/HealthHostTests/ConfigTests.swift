import HealthConfig
import Testing

@Suite(.timeLimit(.minutes(2))) struct ConfigTests {
    private func configError(_ yaml: String) -> ConfigError? {
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml, file: "h.yaml", directory: "/etc/hh")
            return nil
        } catch {
            return error
        }
    }

    @Test func emptyFileMeansDefaults() throws {
        let loaded = try ConfigurationLoader.parse(yaml: "", file: "h.yaml", directory: "/etc/hh")
        let config = loaded.configuration
        #expect(config.listen.host == "127.0.0.1" && config.listen.port == 8080)
        #expect(config.http.native.prefix == "/health")
        #expect(config.checks == nil)
        #expect(config.engine.timeout == .seconds(5))
    }

    @Test func readsTheShapeFromTheIssue() throws {
        let yaml = """
            listen: { host: 127.0.0.1, port: 8080 }
            auth:   { secret_file: /var/run/secrets/health/secret }
            plugins:
              paths: [/usr/lib/healthhost/plugins, plugins]
            checks:
              - { name: foo,  plugin: core, check: "true" }
              - { name: "true", plugin: core, check: "true", default: false }
              - { name: db,   plugin: postgres, check: ping, groups: [readiness],
                  args: { conninfo: "host=db user=app", timeout: 2.0 } }
            """
        let loaded = try ConfigurationLoader.parse(yaml: yaml, file: "h.yaml", directory: "/etc/hh")
        let checks = try #require(loaded.configuration.checks)
        #expect(checks.map(\.name) == ["foo", "true", "db"])
        #expect(checks[0].isDefault == nil && checks[1].isDefault == false)
        #expect(checks[2].groups == ["readiness"])
        #expect(checks[2].args == ["conninfo": .string("host=db user=app"), "timeout": .double(2.0)])
        #expect(loaded.configuration.auth.secretFile == "/var/run/secrets/health/secret")
        #expect(loaded.configuration.plugins.paths.map(loaded.resolve(path:)) == ["/usr/lib/healthhost/plugins", "/etc/hh/plugins"])
    }

    @Test func unknownTopLevelKeyIsAnErrorWithItsLine() throws {
        let error = try #require(configError("listen: { port: 1 }\nplugin:\n  paths: []\n"))
        #expect(error.line == 2)
        #expect(error.keyPath == "plugin")
        #expect(error.message.contains("unknown key 'plugin'"))
        #expect(error.message.contains("plugins"))
        #expect(error.description.hasPrefix("h.yaml:2:1: plugin: unknown key"))
    }

    @Test func unknownNestedKeyNamesItsPath() throws {
        let error = try #require(configError("checks:\n  - { name: a, plugin: core, check: x }\n  - { name: b, plugin: core, chek: x }\n"))
        #expect(error.line == 3)
        #expect(error.keyPath == "checks[1]" || error.keyPath == "checks[1].chek")
        #expect(error.message.contains("chek") || error.message.contains("'check'"))
    }

    @Test func typoInAnEntryKeyIsReported() throws {
        let error = try #require(configError("checks:\n  - name: a\n    plugin: core\n    check: x\n    defualt: false\n"))
        #expect(error.keyPath == "checks[0].defualt")
        #expect(error.line == 5)
        #expect(error.message.contains("unknown key 'defualt'"))
    }

    @Test func wrongTypeNamesTheKeyAndLine() throws {
        let error = try #require(configError("listen:\n  host: 0.0.0.0\n  port: eighty\n"))
        #expect(error.keyPath == "listen.port")
        #expect(error.line == 3)
        #expect(error.message == "expected an integer, found 'eighty'")
    }

    @Test(arguments: [
        ("checks: { a: 1 }", "checks", "expected a list, found a mapping"),
        ("listen: [1, 2]", "listen", "expected a mapping, found a list"),
        ("auth: { secret: [a] }", "auth.secret", "expected a single value, found a list"),
        ("checks:\n  - { name: a, plugin: p, check: c, groups: readiness }", "checks[0].groups", "expected a list, found 'readiness'"),
        ("engine: { threads: 1.5 }", "engine.threads", "expected an integer, found '1.5'"),
        ("engine: { timeout: soon }", "engine.timeout", "expected a number, found 'soon'"),
    ])
    func wrongShapesSayWhatWasFound(yaml: String, keyPath: String, message: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.keyPath == keyPath)
        #expect(error.message == message)
    }

    @Test(arguments: [("readyness", "readiness"), ("liveliness", "liveness"), ("startupz", "startup"), ("livnes", "liveness")])
    func aMisspelledProbeGroupIsRefused(group: String, meant: String) throws {
        let error = try #require(configError("checks:\n  - { name: a, plugin: p, check: c, groups: [storage, \(group)] }\n"))
        #expect(error.keyPath == "checks[0].groups[1]")
        #expect(error.line == 2)
        #expect(error.message.hasPrefix("'\(group)' looks like a misspelling of '\(meant)'"), "\(error.message)")
    }

    @Test func customGroupsFarFromTheProbeGroupsAreAccepted() throws {
        let yaml = "checks:\n  - { name: a, plugin: p, check: c, groups: [storage, ready, live, db-readiness, readiness] }\n"
        #expect(configError(yaml) == nil)
    }

    @Test func missingRequiredKey() throws {
        let error = try #require(configError("checks:\n  - { name: a, check: x }\n"))
        #expect(error.keyPath == "checks[0]")
        #expect(error.message == "missing required key 'plugin'")
    }

    @Test func invalidEnumValueListsTheChoices() throws {
        let error = try #require(configError("plugins: { on_error: ignore }\n"))
        #expect(error.keyPath == "plugins.on_error")
        #expect(error.message == "expected one of 'fail', 'skip', found 'ignore'")
    }

    @Test func duplicateCheckNamesPointAtBothEntries() throws {
        let error = try #require(configError("checks:\n  - { name: a, plugin: core, check: x }\n  - { name: a, plugin: core, check: y }\n"))
        #expect(error.line == 3)
        #expect(error.message.contains("already used by checks[0] (line 2)"))
    }

    @Test func invalidCheckNamesAreRejected() throws {
        let error = try #require(configError("checks:\n  - { name: My Check, plugin: core, check: x }\n"))
        #expect(error.keyPath == "checks[0].name")
        #expect(error.message.contains("contains 'M'"))
    }

    @Test(arguments: [
        ("listen: { port: 70000 }", "listen.port", "expected a port from 0 to 65535, found 70000"),
        ("auth: { secret: a, secret_file: b }", "auth", "set either 'secret' or 'secret_file', not both"),
        ("auth: { secret: a, disabled: true }", "auth.disabled", "contradicts the configured secret"),
        ("auth: { secret: '' }", "auth.secret", "must not be empty"),
        ("engine: { timeout: 0 }", "engine.timeout", "expected seconds above 0"),
        ("engine: { timeout: 1e300 }", "engine.timeout", "at most 86400, found 1e+300"),
        ("engine: { timeout: .nan }", "engine.timeout", "found nan"),
        ("http: { idle_timeout: .inf }", "http.idle_timeout", "found inf"),
        ("engine: { threads: 0 }", "engine.threads", "expected 1 to 1024"),
        ("http: { native: { prefix: health } }", "http.native.prefix", "expected a path starting with '/'"),
        ("http: { native: { unknown_checks: maybe } }", "http.native.unknown_checks", "expected one of 'reject', 'ignore'"),
        ("logging: { level: loud }", "logging.level", "expected one of trace, debug"),
        (
            "plugins: { isolation: { default: in_process } }", "plugins.isolation.default",
            "expected one of 'none', 'process', found 'in_process'"
        ),
        ("plugins: { isolation: { pg: off } }", "plugins.isolation.pg", "expected one of 'none', 'process', found 'off'"),
        ("plugins: { trust: loose }", "plugins.trust", "expected one of 'strict', 'relaxed', found 'loose'"),
        ("checks:\n  - { plugin: core, check: x, timeout: -1 }", "checks[0].timeout", "above 0"),
    ])
    func rulesBeyondTypes(yaml: String, keyPath: String, message: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.keyPath == keyPath)
        #expect(error.message.contains(message), "\(error.message)")
    }

    /// Dotted scalars are the text as written (`.nan`, not the rendering of the double).
    @Test func pluginConfigBecomesJSONAndDottedScalars() throws {
        let yaml = "plugins:\n  config:\n    pg: { host: db, port: 5432, tls: true, ratio: .nan, hosts: [a, b], pool: { size: 2 } }\n"
        let loaded = try ConfigurationLoader.parse(yaml: yaml, file: "h", directory: "/")
        let value = try #require(loaded.configuration.plugins.config["pg"])
        #expect(value.jsonText == #"{"host":"db","hosts":["a","b"],"pool":{"size":2},"port":5432,"ratio":null,"tls":true}"#)
        #expect(
            value.flattenedScalars() == [
                "host": "db", "port": "5432", "tls": "true", "ratio": ".nan", "hosts.0": "a", "hosts.1": "b", "pool.size": "2",
            ])
    }

    @Test func invalidYAMLSaysSo() throws {
        let error = try #require(configError("listen: { port: 1\n"))
        #expect(error.message.contains("not valid YAML"))
    }

    @Test func checkNameDefaultsToThePluginCheckName() throws {
        let loaded = try ConfigurationLoader.parse(yaml: "checks:\n  - { plugin: core, check: \"true\" }\n", file: "h", directory: "/")
        #expect(loaded.configuration.checks?.first?.name == "true")
    }

    @Test func unreadableFileIsAnError() throws {
        #expect(throws: ConfigError.self) { try ConfigurationLoader.load(file: "/nonexistent/healthhost.yaml") }
    }

    @Test func refreshSettingsAreRead() throws {
        let yaml = """
            engine: { success_ttl: 27, failure_ttl: 9 }
            checks:
              - { name: a, plugin: core, check: x, success_ttl: 0, failure_ttl: 1.5 }
              - { name: b, plugin: core, check: x, interval: 10, stale_after: 45 }
            """
        let config = try ConfigurationLoader.parse(yaml: yaml, file: "h.yaml", directory: "/etc/hh").configuration
        #expect(config.engine.successTTL == .seconds(27) && config.engine.failureTTL == .seconds(9))
        let checks = try #require(config.checks)
        #expect(checks[0].successTTL == .zero && checks[0].failureTTL == .milliseconds(1500) && checks[0].interval == nil)
        #expect(checks[1].interval == .seconds(10) && checks[1].staleAfter == .seconds(45))
    }

    @Test(arguments: [
        ("engine: { failure_ttl: -1 }", 1, "engine.failure_ttl", "expected seconds from 0 to 86400, found -1.0"),
        (
            "checks:\n  - { name: a, plugin: p, check: c, stale_after: 5 }", 2, "checks[0].stale_after",
            "applies only to checks with an 'interval' (background checks)"
        ),
        (
            "checks:\n  - { name: a, plugin: p, check: c, interval: 5, success_ttl: 3 }", 2, "checks[0].success_ttl",
            "has no effect on a check with an 'interval'"
        ),
        (
            "checks:\n  - { name: a, plugin: p, check: c, interval: 0.01 }", 2, "checks[0].interval",
            "expected at least 0.1 seconds, found 0.01"
        ),
        (
            "checks:\n  - { name: a, plugin: p, check: c, interval: 10, stale_after: 11 }", 2, "checks[0].stale_after",
            "expected more than the interval plus its jitter (11.0 seconds), found 11.0: every result would turn stale"
        ),
        (
            "checks:\n  - { name: a, plugin: p, check: c, interval: 0 }", 2, "checks[0].interval",
            "expected seconds above 0 and at most 86400, found 0.0"
        ),
    ])
    func badRefreshSettingsNameTheKey(yaml: String, line: Int, keyPath: String, message: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.line == line)
        #expect(error.keyPath == keyPath)
        #expect(error.message.contains(message), "\(error.message)")
    }
}

extension ConfigTests {
    @Test func dialectSettingsDecodeWithTheirDefaults() throws {
        let defaults = HostConfiguration().http
        #expect(defaults.native.enabled && defaults.kubernetes.enabled)
        #expect(!defaults.runscope.enabled && !defaults.actuator.enabled && !defaults.heartbeat.enabled)
        #expect(defaults.kubernetes.access == .public && defaults.runscope.access == .required)
        let yaml = """
            service: { name: orders, version: 1.4.2 }
            http:
              shutdown_delay: 5
              kubernetes: { prefix: /k8s, failure_status: 503 }
              runscope: { enabled: true, environment: { process: false } }
              actuator: { enabled: true, service_dependencies: { users: "users:8080" } }
              heartbeat: { enabled: true, access: required }
            """
        let config = try ConfigurationLoader.parse(yaml: yaml, file: "h.yaml", directory: "/etc").configuration
        #expect(config.service.name == "orders" && config.service.version == "1.4.2")
        #expect(config.http.shutdownDelay == .seconds(5))
        #expect(config.http.kubernetes.prefix == "/k8s" && config.http.kubernetes.failureStatus == 503)
        #expect(config.http.runscope.environment.enabledSections == ["os", "runtime", "config", "plugins"])
        #expect(config.http.actuator.serviceDependencies == ["users": "users:8080"])
        #expect(config.http.heartbeat.access == .required)
    }

    @Test(arguments: [
        ("http:\n  kubernetes: { failure_status: 600 }", 2, "http.kubernetes.failure_status", "expected an HTTP status from 200 to 599"),
        ("http:\n  runscope: { path: healthcheck }", 2, "http.runscope.path", "expected a path starting with '/'"),
        ("http:\n  actuator: { access: open }", 2, "http.actuator.access", "expected one of 'required', 'public', found 'open'"),
        ("http:\n  runscope: { headers: { \"Bad Name\": x } }", 2, "http.runscope.headers.Bad Name", "is not a valid HTTP header name"),
        // CR LF is one Character in Swift: compared by bytes, it is still found.
        (
            "http:\n  runscope: { headers: { X-A: \"a\\r\\nSet-Cookie: x=1\" } }", 2, "http.runscope.headers.X-A",
            "must not contain line breaks"
        ),
        (
            "http:\n  runscope:\n    headers:\n      X-B: |\n        two\n        lines\n", 4, "http.runscope.headers.X-B",
            "must not contain line breaks"
        ),
        ("http:\n  header_timeout: 0", 2, "http.header_timeout", "expected seconds above 0"),
        ("http:\n  body_timeout: -1", 2, "http.body_timeout", "expected seconds above 0"),
        ("http:\n  drain_timeout: 0", 2, "http.drain_timeout", "expected seconds above 0"),
        ("http:\n  max_connections: 0", 2, "http.max_connections", "expected 1 to 1000000 connections, found 0"),
        (
            "http:\n  actuator: { service_dependencies: { \"Users API\": users } }", 2,
            "http.actuator.service_dependencies.Users API", "dependency name 'Users API'"
        ),
        ("http:\n  shutdown_delay: -1", 2, "http.shutdown_delay", "expected seconds from 0"),
        ("http:\n  event_loops: 0", 2, "http.event_loops", "expected 1 to 64 threads, found 0"),
        ("service: { name: \"\" }", 1, "service.name", "expected 1 to 256 bytes"),
        ("http:\n  heartbeat: { prefx: /x }", 2, "http.heartbeat.prefx", "unknown key 'prefx'"),
    ])
    func badDialectSettingsNameTheKey(yaml: String, line: Int, keyPath: String, message: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.line == line)
        #expect(error.keyPath == keyPath)
        #expect(error.message.contains(message), "\(error.message)")
    }
}

extension ConfigTests {
    @Test func anAliasBombIsRefusedBeforeItExpands() throws {
        var yaml = "auth: { disabled: true }\nplugins:\n  config:\n    x:\n      a: &a [x, x, x, x, x, x, x, x, x]\n"
        for (level, previous) in zip("bcdefgh", "abcdefg") {
            yaml += "      \(level): &\(level) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
        }
        let started = ContinuousClock.now
        let error = try #require(configError(yaml))
        #expect(error.message.contains("the config expands to more than 100000 values"))
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func ordinaryAnchorsAndAliasesStillWork() throws {
        let yaml = """
            plugins:
              config:
                a: &shared { host: db.internal, port: 5432 }
                b: *shared
            """
        let config = try ConfigurationLoader.parse(yaml: yaml, file: "h.yaml", directory: "/etc").configuration
        #expect(config.plugins.config["b"] == config.plugins.config["a"])
    }
}
