import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import NIOHTTP1
import Testing

/// The check engine's rules (concurrency, timeouts, single flight, hung calls, checks
/// that are not thread-safe, TTLs, background schedules, staleness, request order) on
/// in-process checks whose calls return when the test opens them, with the time in the
/// test's hands (``EngineRig``): no plugin, no socket, no sleep. What only a real plugin
/// or a built host shows stays end to end in ``EnginePluginTests``.
@Suite(.timeLimit(.minutes(2))) struct EngineTests {
    @Test func theChecksOfOneRequestRunConcurrently() async throws {
        let checks = (1...4).map { ControlledCheck("c\($0)", holding: .every) }
        let registered = checks.map { $0.registered() }
        try await EngineRig.with(registered, threads: 4, opening: checks) { rig in
            let request = Task { await rig.engine.reports(for: registered) }
            // Every call holds until opened: one after another, the four are never inside at once.
            #expect(await poll(until: { checks.allSatisfy { $0.activeCount == 1 } }))
            for check in checks { check.open() }
            #expect(await request.value.map(\.result) == Array(repeating: .pass("call 1"), count: 4))
        }
    }

    @Test func aCallPastItsTimeoutFailsAndSaysSo() async throws {
        let slow = ControlledCheck("slow", holding: .first)
        let check = slow.registered(timeout: .milliseconds(200))
        try await EngineRig.with([check], opening: [slow]) { rig in
            let request = Task { await rig.engine.report(for: check) }
            #expect(await poll(until: { slow.activeCount == 1 }))
            await rig.advance(by: .milliseconds(199))
            #expect(rig.statistics("slow").timeouts == 0)
            await rig.advance(by: .milliseconds(1))
            let timedOut = await request.value
            #expect(timedOut.result == .fail("timed out: no result within 200 ms"))
            #expect(timedOut.isTimedOut)
            #expect(rig.statistics("slow").timeouts == 1)
            let whileRunning = await rig.engine.report(for: check)
            #expect(whileRunning.result.message.hasPrefix("timed out: the call started "))
            #expect(slow.callCount == 1)

            // The call returns 3 s after it started: its result is dropped (the timeout
            // stays the last report) and the next request calls again.
            await rig.advance(by: .milliseconds(2800))
            slow.open()
            #expect(await poll(until: { !rig.statistics("slow").isStuck }))
            #expect(rig.statistics("slow").lastDuration == .seconds(3))
            #expect(rig.statistics("slow").lastReport?.result == .fail("timed out: no result within 200 ms"))
            #expect(await rig.engine.report(for: check).result == .pass("call 2"))
        }
    }

    @Test func aHungCallIsNotStartedAgainAndHoldsOneThread() async throws {
        // Two worker threads: if every request started another hung call, the pool
        // would be exhausted and `quick` could no longer run.
        let hung = ControlledCheck("hung", holding: .every)
        let quick = ControlledCheck("quick")
        let hungCheck = hung.registered(timeout: .milliseconds(200))
        let quickCheck = quick.registered()
        try await EngineRig.with([hungCheck, quickCheck], threads: 2, opening: [hung]) { rig in
            let first = Task { await rig.engine.report(for: hungCheck) }
            #expect(await poll(until: { hung.activeCount == 1 }))
            await rig.advance(by: .milliseconds(200))
            #expect(await first.value.result.message == "timed out: no result within 200 ms")
            #expect(rig.statistics("hung").isStuck)
            #expect(rig.statistics("hung").runningSince != nil)

            let reports = await withTaskGroup(of: CheckReport?.self) { group in
                for _ in 0..<30 { group.addTask { await rig.report(hungCheck) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.count == 30)
            for report in reports {
                #expect(report?.result.status == .fail)
                #expect(
                    report?.result.message.contains("has not returned (limit 200 ms); no new call starts until it does")
                        == true)
            }
            #expect(await rig.report(quickCheck)?.result == .pass("call 1"))
            #expect(hung.callCount == 1)
        }
    }

    @Test func concurrentRequestsShareOneCall() async throws {
        let shared = ControlledCheck("shared", holding: .first)
        let check = shared.registered()
        try await EngineRig.with([check], opening: [shared]) { rig in
            let requests = (0..<20).map { _ in Task { await rig.engine.report(for: check) } }
            // Every request has reached the check's slot (joined or started) before the call returns.
            #expect(await poll(until: { rig.statistics("shared").cacheMisses == 20 }))
            shared.open()
            for request in requests { #expect(await request.value.result == .pass("call 1")) }
            #expect(shared.callCount == 1)
            #expect(rig.statistics("shared").completedCalls == 1)
        }
    }

    @Test func checksThatAreNotThreadSafeAreCalledOneAtATimeAndWaitWithoutAThread() async throws {
        // One implementation registered twice under one serialization key (a plugin check
        // without HH_CHECK_THREAD_SAFE configured twice), and a probe beside it.
        let unsafe = ControlledCheck("unsafe", holding: .first)
        let probe = ControlledCheck("probe")
        let first = unsafe.registered(as: "u1", serializationKey: "kit.unsafe")
        let second = unsafe.registered(as: "u2", serializationKey: "kit.unsafe")
        let probeCheck = probe.registered()
        try await EngineRig.with([first, second, probeCheck], threads: 2, opening: [unsafe]) { rig in
            let firstRequest = Task { await rig.engine.report(for: first) }
            #expect(await poll(until: { unsafe.activeCount == 1 }))
            let secondRequest = Task { await rig.engine.report(for: second) }
            #expect(await poll(until: { rig.statistics("u2").cacheMisses == 1 }))
            // u2 waits for its turn holding no thread: the probe gets the second one.
            #expect(await rig.report(probeCheck)?.result == .pass("call 1"))
            #expect(unsafe.callCount == 1)
            unsafe.open()
            #expect(await firstRequest.value.result == .pass("call 1"))
            #expect(await secondRequest.value.result == .pass("call 2"))
            #expect(unsafe.mostActiveAtOnce == 1)
        }
    }

    @Test func passingResultsAreReusedForTheSuccessTTLAndFailingOnesForTheFailureTTL() async throws {
        let toggle = ControlledCheck("toggle")
        let check = toggle.registered(refresh: RefreshPolicy(successTTL: .seconds(3), failureTTL: .milliseconds(1500)))
        try await EngineRig.with([check]) { rig in
            let first = await rig.engine.report(for: check)
            #expect(first.result == .pass("call 1"))
            #expect(!first.isCached)

            toggle.setFailing(true)
            let cached = await rig.engine.report(for: check)
            #expect(cached.result == .pass("call 1"))
            #expect(cached.isCached)
            #expect(cached.finishedAt == first.finishedAt)
            #expect(cached.expiresAt == first.finishedAt.addingTimeInterval(3))

            await rig.advance(by: .milliseconds(2999))
            #expect(await rig.engine.report(for: check).isCached)  // 1 ms before it expires
            await rig.advance(by: .milliseconds(1))
            let failed = await rig.engine.report(for: check)
            #expect(failed.result == .fail("call 2"))
            #expect(!failed.isCached)
            let cachedFailure = await rig.engine.report(for: check)
            #expect(cachedFailure.isCached)
            #expect(cachedFailure.expiresAt == failed.finishedAt.addingTimeInterval(1.5))

            await rig.advance(by: .milliseconds(1500))
            #expect(await rig.engine.report(for: check).result == .fail("call 3"))
            let statistics = rig.statistics("toggle")
            #expect(statistics.consecutiveFailures == 2)
            #expect(statistics.lastSuccessAt == first.finishedAt)
            #expect(statistics.completedCalls == 3)
            #expect(toggle.callCount == 3)
        }
    }

    @Test func backgroundChecksRunOnTheirScheduleAndRequestsReadTheLatestResult() async throws {
        let toggle = ControlledCheck("toggle")
        let check = toggle.registered(refresh: RefreshPolicy(interval: .seconds(10)))
        try await EngineRig.with([check]) { rig in
            rig.engine.startBackgroundRefresh()
            // The first run comes within 10 % of the interval (at most 1 s), with no request.
            await rig.advance(by: .seconds(1))
            #expect(await poll(until: { rig.statistics("toggle").completedCalls == 1 }))
            for _ in 0..<20 {
                let report = await rig.engine.report(for: check)
                #expect(report.isCached)
                #expect(report.result == .pass("call 1"))
            }
            #expect(toggle.callCount == 1, "reads ran no call of their own")

            // Each later run comes within 10 % of the interval from the one before.
            toggle.setFailing(true)
            await rig.advance(by: .seconds(11))
            #expect(await poll(until: { rig.statistics("toggle").completedCalls == 2 }))
            #expect(await rig.engine.report(for: check).result == .fail("call 2"))
            await rig.advance(by: .seconds(11))
            #expect(await poll(until: { rig.statistics("toggle").completedCalls == 3 }))
            #expect(toggle.callCount == 3)
        }
    }

    @Test func aBackgroundResultOlderThanTheStalenessBoundFails() async throws {
        // Passes on its first call and hangs on every later one (timeout 30 s), so after
        // the first result nothing new arrives.
        let sticky = ControlledCheck("sticky", holding: .afterFirst)
        let check = sticky.registered(
            timeout: .seconds(30), refresh: RefreshPolicy(interval: .seconds(10), staleAfter: .seconds(15)))
        try await EngineRig.with([check], opening: [sticky]) { rig in
            rig.engine.startBackgroundRefresh()
            await rig.advance(by: .seconds(1))  // the first run, within 1 s
            #expect(await poll(until: { rig.statistics("sticky").lastSuccessAt != nil }))
            await rig.advance(by: .seconds(11))  // the second run starts and hangs
            #expect(await poll(until: { sticky.activeCount == 1 }))
            #expect(await rig.engine.report(for: check).result == .pass("call 1"))
            // The first result came at 0–1 s: at 17 s it is 16–17 s old.
            await rig.advance(by: .seconds(5))
            let stale = await rig.engine.report(for: check)
            #expect(stale.result.status == .fail)
            #expect(stale.result.message.hasPrefix("stale: the latest result is "))
            #expect(stale.result.message.hasSuffix("past the limit of 15 s (it was pass: call 1)"))
            #expect(sticky.callCount == 2)
        }
    }

    @Test func cachedReadsDoNotWaitForARunningCheck() async throws {
        let slow = ControlledCheck("slow", holding: .every)
        let cached = ControlledCheck("cached")
        let slowCheck = slow.registered(isDefault: false)
        let cachedCheck = cached.registered(refresh: RefreshPolicy(successTTL: .seconds(60)))
        try await EngineRig.with([slowCheck, cachedCheck], opening: [slow]) { rig in
            #expect(await rig.engine.report(for: cachedCheck).result == .pass("call 1"))  // fills the cache
            let slowRequest = Task { await rig.engine.report(for: slowCheck) }
            #expect(await poll(until: { slow.activeCount == 1 }))
            #expect(rig.engine.reportsWithoutWaiting(for: [cachedCheck])?.first?.result == .pass("call 1"))
            #expect(await rig.report(cachedCheck)?.isCached == true)
            #expect(rig.engine.reportsWithoutWaiting(for: [slowCheck]) == nil, "the slow call is still running")
            slow.open()
            #expect(await slowRequest.value.result == .pass("call 1"))
        }
    }

    @Test func pingAnswersWhileAChecksCallIsRunning() async throws {
        // The pipeline answers ping without the engine; the check's call holds until opened.
        let slow = ControlledCheck("slow", holding: .every)
        let harness = try RouterHarness(checks: [slow.registered()]) { context in
            NativeDialect.routes(NativeDialectConfiguration(), context: context)
        }
        defer {
            slow.open()
            harness.engine.shutdown()
        }
        let slowRequest = Task { try await harness.get("/health/?checks=slow", headers: [("Authorization", "Bearer s3cret")]) }
        #expect(await poll(until: { slow.activeCount == 1 }))
        #expect(try await harness.get("/health/ping").text == "pong")
        #expect(slow.activeCount == 1, "the slow call was still running")
        slow.open()
        #expect(try await slowRequest.value.status == .ok)
    }

    @Test func reportsComeBackInRequestOrderWhateverOrderTheCallsEndIn() async throws {
        // Calls that end in the reverse of the order asked, one answered at once from its
        // cache, one that times out: the reports still line up with the request.
        let slowest = ControlledCheck("slowest", holding: .every)
        let slower = ControlledCheck("slower", holding: .every)
        let cached = ControlledCheck("cached")
        let fast = ControlledCheck("fast")
        let late = ControlledCheck("late", holding: .every)
        let checks = [
            slowest.registered(), slower.registered(),
            cached.registered(refresh: RefreshPolicy(successTTL: .seconds(60))), fast.registered(),
            late.registered(timeout: .milliseconds(100)),
        ]
        try await EngineRig.with(checks, threads: 8, opening: [slowest, slower, late]) { rig in
            _ = await rig.engine.report(for: checks[2])  // now cached
            let request = Task { await rig.engine.reports(for: checks) }
            #expect(await poll(until: { [slowest, slower, late].allSatisfy { $0.activeCount == 1 } && fast.callCount == 1 }))
            slower.open()
            #expect(await poll(until: { rig.statistics("slower").completedCalls == 1 }))
            slowest.open()
            #expect(await poll(until: { rig.statistics("slowest").completedCalls == 1 }))
            await rig.advance(by: .milliseconds(100))
            let reports = await request.value
            #expect(reports.map(\.name) == ["slowest", "slower", "cached", "fast", "late"])
            #expect(
                reports.map(\.result.message) == [
                    "call 1", "call 1", "call 1", "call 1", "timed out: no result within 100 ms",
                ])
            #expect(reports[2].isCached && !reports[3].isCached)
        }
    }

    @Test func refreshPoliciesReadPlainlyInTheStartUpLog() {
        #expect(RefreshPolicy.alwaysFresh.summary == "always fresh")
        #expect(RefreshPolicy(successTTL: .seconds(10)).summary == "cached 10 s on success only")
        #expect(RefreshPolicy(successTTL: .seconds(27), failureTTL: .seconds(9)).summary == "cached 27 s on success, 9 s on failure")
        #expect(RefreshPolicy(failureTTL: .seconds(3)).summary == "cached 3 s on failure only")
        #expect(RefreshPolicy(interval: .seconds(5)).summary == "every 5 s")
    }
}
