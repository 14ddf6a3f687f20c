import HealthConfig
import Testing

/// Every duration of the config is decoded once, as a `Duration`, by one rule
/// (``ConfigSeconds``): to the nearest nanosecond, the range checked as it is read.
@Suite(.timeLimit(.minutes(1))) struct ConfigSecondsTests {
    private func configError(_ yaml: String) -> ConfigError? {
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml, file: "h.yaml", directory: "/etc/hh")
            return nil
        } catch {
            return error
        }
    }

    private func load(_ yaml: String) throws -> HostConfiguration {
        try ConfigurationLoader.parse(yaml: yaml, file: "h.yaml", directory: "/etc/hh").configuration
    }

    /// Why `result` is a refusal; `nil` when it is a duration.
    private func refusal(_ result: Result<Duration, ConfigSeconds.RangeError>) -> String? {
        if case .failure(let error) = result { return error.description }
        return nil
    }

    @Test(arguments: [
        (5.0, Duration.seconds(5)), (0.25, .milliseconds(250)), (0.0015, .microseconds(1500)),
        // Once truncated to milliseconds: 1.005 s became 1.004 s, 0.0005 s no time at all.
        (1.005, .milliseconds(1005)), (0.0005, .microseconds(500)), (0.035, .milliseconds(35)),
        (1e-9, .nanoseconds(1)), (2.5e-9, .nanoseconds(3)), (86_400, .seconds(86_400)),
    ])
    func aNumberOfSecondsBecomesTheNearestNanosecond(seconds: Double, expected: Duration) throws {
        #expect(try ConfigSeconds.duration(seconds, accepting: .positive).get() == expected)
    }

    @Test func zeroIsADurationOnlyWhereZeroMeansNone() throws {
        #expect(try ConfigSeconds.duration(0, accepting: .nonNegative).get() == .zero)
        #expect(try ConfigSeconds.duration(-0.0, accepting: .nonNegative).get() == .zero)
        #expect(refusal(ConfigSeconds.duration(0, accepting: .positive)) == "expected seconds above 0 and at most 86400, found 0.0")
        // Too small to survive the rounding: refused as the zero it would be.
        #expect(refusal(ConfigSeconds.duration(1e-12, accepting: .positive)) == "expected seconds above 0 and at most 86400, found 1e-12")
    }

    @Test(arguments: [
        (-1.0, ConfigSeconds.Range.nonNegative, "expected seconds from 0 to 86400, found -1.0"),
        (-0.5, .positive, "expected seconds above 0 and at most 86400, found -0.5"),
        (86_400.5, .positive, "expected seconds above 0 and at most 86400, found 86400.5"),
        (1e300, .nonNegative, "expected seconds from 0 to 86400, found 1e+300"),
        (Double.nan, .positive, "expected seconds above 0 and at most 86400, found nan"),
        (-Double.infinity, .nonNegative, "expected seconds from 0 to 86400, found -inf"),
    ])
    func outOfRangeNumbersAreRefusedWithWhatWasWritten(seconds: Double, range: ConfigSeconds.Range, message: String) {
        #expect(refusal(ConfigSeconds.duration(seconds, accepting: range)) == message)
    }

    @Test func everyDurationKeyIsReadAsADuration() throws {
        let config = try load(
            """
            auth: { disabled: true, reload_interval: 2.5 }
            plugins: { init_timeout: 3, restart_delay: 0.05, max_restart_delay: 7, quarantine_window: 90 }
            engine: { timeout: 0.0015, success_ttl: 1, failure_ttl: 0, fail_after_seconds: 30 }
            http:
              idle_timeout: 1.005
              header_timeout: 0.0005
              body_timeout: 2
              drain_timeout: 3
              shutdown_delay: 0
              actuator: { dependency_timeout: 0.5, dependency_success_ttl: 0, dependency_failure_ttl: 4 }
            checks:
              - { name: a, plugin: p, check: c, timeout: 0.2, success_ttl: 0, failure_ttl: 1.5, fail_after_seconds: 9 }
              - { name: b, plugin: p, check: c, interval: 10, stale_after: 45.000000001 }
            """)
        #expect(config.auth.reloadInterval == .milliseconds(2500))
        #expect(config.plugins.initTimeout == .seconds(3) && config.plugins.restartDelay == .milliseconds(50))
        #expect(config.plugins.maxRestartDelay == .seconds(7) && config.plugins.quarantineWindow == .seconds(90))
        #expect(config.engine.timeout == .microseconds(1500) && config.engine.successTTL == .seconds(1))
        #expect(config.engine.failureTTL == .zero && config.engine.failAfterTime == .seconds(30))
        #expect(config.http.idleTimeout == .milliseconds(1005) && config.http.headerTimeout == .microseconds(500))
        #expect(config.http.bodyTimeout == .seconds(2) && config.http.drainTimeout == .seconds(3))
        #expect(config.http.shutdownDelay == .zero)
        #expect(config.http.actuator.dependencyTimeout == .milliseconds(500))
        #expect(config.http.actuator.dependencySuccessTTL == .zero && config.http.actuator.dependencyFailureTTL == .seconds(4))
        let checks = try #require(config.checks)
        #expect(checks[0].timeout == .milliseconds(200) && checks[0].failureTTL == .milliseconds(1500))
        #expect(checks[0].successTTL == .zero && checks[0].failAfterTime == .seconds(9))
        #expect(checks[1].interval == .seconds(10) && checks[1].staleAfter == .seconds(45) + .nanoseconds(1))
    }

    @Test func theDefaultsAreDurations() {
        let config = HostConfiguration()
        #expect(config.auth.reloadInterval == .seconds(10) && config.engine.timeout == .seconds(5))
        #expect(config.http.idleTimeout == .seconds(60) && config.http.shutdownDelay == .zero)
        #expect(config.plugins.quarantineWindow == .seconds(300) && config.engine.failAfterTime == nil)
    }

    @Test(arguments: [
        ("engine:\n  timeout: -2", 2, "engine.timeout", "expected seconds above 0 and at most 86400, found -2.0"),
        ("engine:\n  success_ttl: 1e300", 2, "engine.success_ttl", "expected seconds from 0 to 86400, found 1e+300"),
        ("auth:\n  reload_interval: -1", 2, "auth.reload_interval", "expected seconds from 0 to 86400, found -1.0"),
        ("plugins:\n  quarantine_window: 0", 2, "plugins.quarantine_window", "expected seconds above 0 and at most 86400, found 0.0"),
        ("http:\n  idle_timeout: 1e-10", 2, "http.idle_timeout", "expected seconds above 0 and at most 86400, found 1e-10"),
        (
            "http:\n  actuator:\n    dependency_timeout: .inf", 3, "http.actuator.dependency_timeout",
            "expected seconds above 0 and at most 86400, found inf"
        ),
        (
            "checks:\n  - name: a\n    plugin: p\n    check: c\n    fail_after_seconds: 90000", 5, "checks[0].fail_after_seconds",
            "expected seconds above 0 and at most 86400, found 90000.0"
        ),
        ("engine:\n  timeout: 5s", 2, "engine.timeout", "expected a number, found '5s'"),
    ])
    func aRefusedDurationNamesItsKeyFileAndLine(yaml: String, line: Int, keyPath: String, message: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.file == "h.yaml")
        #expect(error.line == line)
        #expect(error.keyPath == keyPath)
        #expect(error.message == message)
    }

    @Test func rulesBetweenDurationsPrintTheSecondsAsWritten() throws {
        let restart = try #require(configError("plugins: { restart_delay: 2.5, max_restart_delay: 1.25 }"))
        #expect(restart.keyPath == "plugins.max_restart_delay")
        #expect(restart.message == "expected at least plugins.restart_delay (2.5), found 1.25")
        let interval = try #require(configError("checks:\n  - { name: a, plugin: p, check: c, interval: 0.099 }"))
        #expect(interval.message == "expected at least 0.1 seconds, found 0.099")
    }
}
