import Foundation
import HealthCore
import Testing

/// The check engine end to end: the enginekit plugin (sleeps and counters) loaded by
/// the real loader, served by the real server. Each test loads its own copy of the
/// plugin, so its counters start at zero.
@Suite(.timeLimit(.minutes(2))) struct EngineTests {
    private let auth = "auth=s3cret"

    /// A host serving enginekit (copy `copy`) with `checks` plus a `stats` check.
    private func yaml(_ copy: String, sleepMs: Int = 300, checks: String, extra: String = "") async throws -> String {
        hostYAML(
            plugins: [try await PluginCompiler.enginekit(fileName: "hh-enginekit-\(copy).so")],
            pluginConfig: "{ enginekit: { sleep_ms: \(sleepMs) } }",
            checks: checks + "\n  - { name: stats, plugin: enginekit, check: stats, default: false }", extra: extra)
    }

    @Test func theChecksOfOneRequestRunConcurrently() async throws {
        let checks = (1...4).map { "  - { name: c\($0), plugin: enginekit, check: counted }" }.joined(separator: "\n")
        try await TestHost.with(yaml: try yaml("concurrent", sleepMs: 1000, checks: checks)) { host throws in
            let response = try await host.get("/health/?\(auth)")
            #expect(response.status == 200)
            #expect(response.body.contains(#""checks":{"c1":true,"c2":true,"c3":true,"c4":true}"#))
            // Four one-second calls, all four inside the plugin at once (the plugin counts;
            // the wall clock of a loaded machine said nothing reliable).
            let counters = try await host.counters()
            #expect(counters["counted"] == 4)
            #expect(counters["counted_max_active"] == 4)
        }
    }

    @Test func aCallPastItsTimeoutFailsAndSaysSo() async throws {
        let checks = "  - { name: slow, plugin: enginekit, check: counted, timeout: 0.2 }"
        // The call sleeps 3 s: a loaded machine must not let it end before the second report.
        try await TestHost.with(yaml: try yaml("timeout", sleepMs: 3000, checks: checks)) { host throws in
            let response = try await host.get("/health/?\(auth)")
            #expect(response.status == 503)
            #expect(response.body.contains(#""checks":{"slow":false}"#))
            #expect(try host.statistics("slow").timeouts == 1)
            let whileRunning = try await host.report("slow")
            #expect(whileRunning.result.message.hasPrefix("timed out: the call started "))

            // Once the late call returns, its result is dropped and the next request calls again.
            #expect(try await eventually { try !host.statistics("slow").isStuck })
            #expect(try host.statistics("slow").lastDuration ?? .zero >= .milliseconds(3000))
            let again = try await host.report("slow")
            #expect(again.result == .fail("timed out: no result within 200 ms"))
            #expect(try await host.counters()["counted"] == 2)
        }
    }

    @Test func aHungCallIsNotStartedAgainAndHoldsOneThread() async throws {
        // Two worker threads: if every request started another hung call, the pool
        // would be exhausted and `quick` could no longer run.
        let checks = """
              - { name: hung, plugin: enginekit, check: hang, timeout: 0.2 }
              - { name: quick, plugin: enginekit, check: toggle, default: false }
            """
        let extra = "engine: { threads: 2 }\n"
        try await TestHost.with(yaml: try yaml("hung", checks: checks, extra: extra)) { host throws in
            let first = try await host.report("hung")
            #expect(first.result.message == "timed out: no result within 200 ms")
            let statistics = try host.statistics("hung")
            #expect(statistics.isStuck)
            #expect(statistics.runningSince != nil)

            let responses = try await withThrowingTaskGroup(of: RawHTTPResponse.self) { group in
                for _ in 0..<30 { group.addTask { try await host.get("/health/?\(auth)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.allSatisfy { $0.status == 503 })
            let stuck = try await host.report("hung")
            #expect(stuck.result.status == .fail)
            #expect(stuck.result.message.contains("has not returned (limit 200 ms); no new call starts until it does"))
            #expect(try await host.report("quick").result == .pass("call 1"))
            let counters = try await host.counters()
            #expect(counters["hang"] == 1)
        }
    }

    @Test func concurrentRequestsShareOneCall() async throws {
        let checks = "  - { name: shared, plugin: enginekit, check: counted }"
        try await TestHost.with(yaml: try yaml("single-flight", sleepMs: 1500, checks: checks)) { host throws in
            let responses = try await withThrowingTaskGroup(of: RawHTTPResponse.self) { group in
                for _ in 0..<20 { group.addTask { try await host.get("/health/?\(auth)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.count == 20)
            #expect(responses.allSatisfy { $0.status == 200 })
            // The 20 requests reached the server within the first call's 1.5 s.
            #expect(try await host.counters()["counted"] == 1)
            #expect(try host.statistics("shared").completedCalls == 1)
        }
    }

    @Test func checksThatAreNotThreadSafeAreNeverCalledConcurrently() async throws {
        // Two configured checks backed by one plugin check without HH_CHECK_THREAD_SAFE.
        let checks = """
              - { name: u1, plugin: enginekit, check: unsafe }
              - { name: u2, plugin: enginekit, check: unsafe }
            """
        try await TestHost.with(yaml: try yaml("unsafe", checks: checks)) { host throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let response = try await host.get("/health/?\(self.auth)")
                        #expect(response.status == 200)
                    }
                }
                try await group.waitForAll()
            }
            let counters = try await host.counters()
            #expect(counters["unsafe_max_active"] == 1)
            #expect((counters["unsafe"] ?? 0) >= 2)
        }
    }

    @Test func passingResultsAreReusedForTheSuccessTTLAndFailingOnesForTheFailureTTL() async throws {
        let checks = """
              - { name: toggle, plugin: enginekit, check: toggle, success_ttl: 3, failure_ttl: 1.5 }
              - { name: set_fail, plugin: enginekit, check: set_fail, default: false }
            """
        let clock = ManualClock()
        try await TestHost.with(yaml: try yaml("ttl", checks: checks), clock: clock.engineClock) { host throws in
            let first = try await host.report("toggle")
            #expect(first.result == .pass("call 1"))
            #expect(!first.isCached)

            _ = try await host.report("set_fail")
            let cached = try await host.report("toggle")
            #expect(cached.result == .pass("call 1"))
            #expect(cached.isCached)
            #expect(cached.finishedAt == first.finishedAt)
            #expect(cached.expiresAt == first.finishedAt.addingTimeInterval(3))
            #expect(try await host.get("/health/?\(auth)").status == 200)  // still the cached pass

            clock.advance(by: .milliseconds(2999))
            #expect(try await host.report("toggle").isCached)  // 1 ms before it expires
            clock.advance(by: .milliseconds(1))
            let failed = try await host.report("toggle")
            #expect(failed.result == .fail("call 2"))
            #expect(!failed.isCached)
            let cachedFailure = try await host.report("toggle")
            #expect(cachedFailure.isCached)
            #expect(cachedFailure.expiresAt == failed.finishedAt.addingTimeInterval(1.5))
            #expect(try await host.get("/health/?\(auth)").status == 503)

            clock.advance(by: .milliseconds(1500))
            #expect(try await host.report("toggle").result == .fail("call 3"))
            let statistics = try host.statistics("toggle")
            #expect(statistics.consecutiveFailures == 2)
            #expect(statistics.lastSuccessAt == first.finishedAt)
            #expect(statistics.completedCalls == 3)
        }
    }

    @Test func engineTTLDefaultsApplyToChecksThatSetNone() async throws {
        let checks = "  - { name: toggle, plugin: enginekit, check: toggle }"
        let extra = "engine: { success_ttl: 30, failure_ttl: 9 }\n"
        try await TestHost.with(yaml: try yaml("ttl-default", checks: checks, extra: extra)) { host throws in
            for _ in 0..<5 { #expect(try await host.get("/health/?\(auth)").status == 200) }
            #expect(try await host.counters()["toggle"] == 1)
        }
    }

    @Test func backgroundChecksRunOnTheirScheduleAndRequestsReadTheLatestResult() async throws {
        let checks = """
              - { name: toggle, plugin: enginekit, check: toggle, interval: 0.2 }
              - { name: set_fail, plugin: enginekit, check: set_fail, default: false }
            """
        try await TestHost.with(yaml: try yaml("background", checks: checks)) { host throws in
            // Runs with no request at all.
            #expect(try await eventually { try await host.counters()["toggle"] ?? 0 >= 3 })
            let before = try await host.counters()["toggle"] ?? 0
            let started = ContinuousClock.now
            let report = try await host.report("toggle")
            #expect(report.isCached)
            #expect(report.result.status == .pass)
            for _ in 0..<20 { #expect(try await host.get("/health/?\(auth)").status == 200) }
            // Twenty reads ran no call of their own: at most the schedule's (one per 0.2 s,
            // spread by 10 %), however slow a loaded machine made the reads.
            let elapsed = Double((ContinuousClock.now - started).components.seconds)
                + Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            let scheduled = 1 + Int(elapsed / 0.18)
            #expect(try await host.counters()["toggle"] ?? 0 <= before + scheduled)

            _ = try await host.report("set_fail")
            #expect(try await eventually { try await host.get("/health/?\(self.auth)").status == 503 })
        }
    }

    @Test func aBackgroundResultOlderThanTheStalenessBoundFails() async throws {
        // `sticky` passes on its first call and hangs on every later one (timeout 30 s),
        // so after the first result nothing new arrives.
        let checks = "  - { name: sticky, plugin: enginekit, check: sticky, interval: 0.2, stale_after: 0.5, timeout: 30 }"
        try await TestHost.with(yaml: try yaml("stale", checks: checks)) { host throws in
            #expect(try await eventually { try host.statistics("sticky").lastSuccessAt != nil })
            #expect(try host.statistics("sticky").lastReport?.result == .pass("first call"))
            #expect(try await eventually(within: .seconds(3)) { try await host.get("/health/?\(self.auth)").status == 503 })
            let stale = try await host.report("sticky")
            #expect(stale.result.status == .fail)
            #expect(stale.result.message.hasPrefix("stale: the latest result is "))
            #expect(stale.result.message.contains("past the limit of 500 ms (it was pass: first call)"))
        }
    }

    @Test func pingAndCachedReadsDoNotWaitForARunningCheck() async throws {
        let checks = """
              - { name: slow, plugin: enginekit, check: counted, default: false }
              - { name: cached, plugin: enginekit, check: toggle, success_ttl: 60 }
            """
        try await TestHost.with(yaml: try yaml("isolation", sleepMs: 2000, checks: checks)) { host throws in
            #expect(try await host.get("/health/?\(auth)").status == 200)  // fills the cache of `cached`
            let slowRequest = Task { try await host.get("/health/?checks=slow&\(self.auth)") }
            #expect(try await eventually { try host.statistics("slow").runningSince != nil })
            #expect(try await host.get("/health/ping").body == "pong")
            #expect(try await host.get("/health/?\(auth)").status == 200)
            #expect(try host.statistics("slow").runningSince != nil, "the slow call was still running")
            #expect(try await slowRequest.value.status == 200)
        }
    }
}

extension EngineTests {
    @Test func manyHungChecksCannotStarveTheOthersOfThreads() async throws {
        // Twenty checks hang for good; with a pool sized per check, `quick` still runs
        // (with a fixed pool of 16 it times out waiting for a thread).
        let hung = (1...20).map { "  - { name: hung\($0), plugin: enginekit, check: hang, timeout: 0.2 }" }
        let checks = (hung + ["  - { name: quick, plugin: enginekit, check: toggle, default: false }"]).joined(separator: "\n")
        try await TestHost.with(yaml: try yaml("starve", checks: checks)) { host throws in
            let response = try await host.get("/health/?\(auth)")
            #expect(response.status == 503)
            #expect(try await eventually { try await host.counters()["hang"] == 20 })
            #expect(try await host.report("quick").result == .pass("call 1"))
        }
    }

    @Test func aPoolSmallerThanTheChecksIsWarnedAbout() async throws {
        let capture = LogCapture()
        let checks = "  - { name: a, plugin: enginekit, check: counted }\n  - { name: b, plugin: enginekit, check: counted }"
        let app = try await TestHost.build(yaml: try yaml("warnpool", checks: checks, extra: "engine: { threads: 1 }\n"), logger: capture.logger())
        app.shutdown()
        #expect(capture.all.contains { $0.contains("engine.threads: 1 worker threads for 3 checks") })
    }

    @Test func refreshPoliciesReadPlainlyInTheStartUpLog() {
        #expect(RefreshPolicy.alwaysFresh.summary == "always fresh")
        #expect(RefreshPolicy(successTTL: .seconds(10)).summary == "cached 10 s on success only")
        #expect(RefreshPolicy(successTTL: .seconds(27), failureTTL: .seconds(9)).summary == "cached 27 s on success, 9 s on failure")
        #expect(RefreshPolicy(failureTTL: .seconds(3)).summary == "cached 3 s on failure only")
        #expect(RefreshPolicy(interval: .seconds(5)).summary == "every 5 s")
    }

    @Test func reportsComeBackInRequestOrderWhateverOrderTheCallsEndIn() async throws {
        // Calls that end in the reverse of the order asked, one answered at once from its
        // cache, one that times out: the reports still line up with the request.
        func sleeping(_ milliseconds: Int) -> ClosureCheck {
            ClosureCheck(source: "test.sleep\(milliseconds)") { _ in
                Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
                return .pass("slept \(milliseconds) ms")
            }
        }
        var registry = CheckRegistry()
        let checks = [
            RegisteredCheck(name: "slowest", implementation: sleeping(300)),
            RegisteredCheck(name: "slower", implementation: sleeping(150)),
            RegisteredCheck(
                name: "cached", implementation: sleeping(1), refresh: RefreshPolicy(successTTL: .seconds(60))),
            RegisteredCheck(name: "fast", implementation: sleeping(1)),
            RegisteredCheck(name: "late", implementation: sleeping(2000), timeout: .milliseconds(100)),
        ]
        for check in checks { try registry.register(check) }
        let engine = CheckEngine(registry: registry, threads: 8, logger: TestHost.logger)
        defer { engine.shutdown() }
        _ = await engine.report(for: checks[2])  // now cached

        let reports = await engine.reports(for: checks)
        #expect(reports.map(\.name) == ["slowest", "slower", "cached", "fast", "late"])
        #expect(reports.map(\.result.message) == [
            "slept 300 ms", "slept 150 ms", "slept 1 ms", "slept 1 ms", "timed out: no result within 100 ms",
        ])
        #expect(reports[2].isCached && !reports[3].isCached)
    }
}
