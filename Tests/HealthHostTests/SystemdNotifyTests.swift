import Foundation
@testable import HealthHostApp
@testable import HealthHTTP
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The host's side of systemd's notify protocol and watchdog, against a socket the test
/// listens on as systemd would: the real binary says READY only once it listens, turns a
/// SIGHUP into RELOADING then READY (and keeps serving), and says STOPPING when it
/// drains; the watchdog's pings stop while an event loop is stalled. The same unit under
/// a real systemd is SystemdUnitTests.
@Suite(.timeLimit(.minutes(1)))
struct SystemdNotifyTests {
    private let start = ContinuousClock.now

    // MARK: The watchdog's rounds, as values

    @Test func everyLoopThatAnsweredTheLastRoundLetsItPing() {
        var rounds = WatchdogRounds(loopCount: 2)
        #expect(rounds.nextRound(now: start) == .ping)  // nothing posted yet
        rounds.loopAnswered(0)
        rounds.loopAnswered(1)
        #expect(rounds.nextRound(now: start + .seconds(1)) == .ping)
    }

    @Test func aLoopThatDidNotAnswerWithholdsThePingAndIsReportedOnce() {
        var rounds = WatchdogRounds(loopCount: 3)
        _ = rounds.nextRound(now: start)
        rounds.loopAnswered(0)
        rounds.loopAnswered(2)
        #expect(rounds.nextRound(now: start + .seconds(1)) == .withhold(stalled: [1], since: start, firstTime: true))
        rounds.loopAnswered(0)
        rounds.loopAnswered(2)
        // Still stalled: withheld again, not reported again, stalled since the same round.
        #expect(rounds.nextRound(now: start + .seconds(2)) == .withhold(stalled: [1], since: start, firstTime: false))
        // Loop 1 runs its backlog; the others answer too: pings resume.
        rounds.loopAnswered(0)
        rounds.loopAnswered(1)
        rounds.loopAnswered(2)
        #expect(rounds.nextRound(now: start + .seconds(3)) == .recovered(after: .seconds(3)))
        #expect(rounds.nextRound(now: start + .seconds(4)) == .withhold(stalled: [0, 1, 2], since: start + .seconds(3), firstTime: true))
    }

    @Test func theWatchdogTimeoutIsSystemdsAndOnlyForTheProcessItNames() {
        #expect(EventLoopWatchdog.timeout(environment: ["WATCHDOG_USEC": "3000000"]) == .seconds(3))
        #expect(EventLoopWatchdog.timeout(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(getpid())"]) == .seconds(3))
        #expect(EventLoopWatchdog.timeout(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(getpid() + 1)"]) == nil)
        #expect(EventLoopWatchdog.timeout(environment: ["WATCHDOG_USEC": "0"]) == nil)
        #expect(EventLoopWatchdog.timeout(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@abstract"])?.socketPath == "@abstract")
    }

    // MARK: Real loops, a real socket

    @Test func aStalledEventLoopStopsThePingsUntilItAnswersAgain() throws {
        let listener = try NotifySocketListener()
        let notifier = try #require(SystemdNotifier(environment: listener.environment))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let capture = LogCapture()
        // 200 ms: a round every 50 ms.
        let watchdog = EventLoopWatchdog(group: group, notifier: notifier, timeout: .milliseconds(200), logger: capture.logger())
        watchdog.start()
        defer {
            watchdog.stop()
            try? group.syncShutdownGracefully()
        }
        #expect(listener.next(within: .seconds(2)) == "WATCHDOG=1")
        #expect(listener.next(within: .seconds(2)) == "WATCHDOG=1")

        // One loop blocks for 600 ms (a blocking call where none belongs).
        let stalled = NIOLockedValueBox(false)
        var loops = group.makeIterator()
        let second = try #require(loops.next().flatMap { _ in loops.next() })
        second.execute {
            stalled.withLockedValue { $0 = true }
            usleep(600_000)
            stalled.withLockedValue { $0 = false }
        }
        while !stalled.withLockedValue({ $0 }) { usleep(1000) }
        // At most the ping of a round that began before the stall; then none while it lasts.
        var during: [String] = []
        let stallStart = ContinuousClock.now
        while ContinuousClock.now - stallStart < .milliseconds(450) {
            if let message = listener.next(within: .milliseconds(20)) { during.append(message) }
        }
        #expect(during.count <= 1, "pings while a loop was stalled: \(during)")
        // Once it answers again, pings resume and the stall was logged.
        var skipped: [String] = []
        #expect(listener.await("WATCHDOG=1", within: .seconds(2), skipped: &skipped) != nil)
        #expect(capture.all.contains { $0.contains("stopped answering") && $0.contains("watchdog") }, "\(capture.all)")
    }

    // MARK: The real binary

    @Test func serveIsReadyOnceListeningReloadsOnSIGHUPAndSaysStoppingOnSIGTERM() async throws {
        let listener = try NotifySocketListener()
        let host = try ServedHost(
            yaml: """
                listen: { host: 127.0.0.1, port: 0 }
                auth: { secret: notify-test-secret }
                http: { shutdown_delay: 0 }
                plugins: { paths: [\(TestPaths.packageRoot.path)/.build/debug] }
                checks:
                  - { name: alive, plugin: core, check: "true" }
                """,
            environment: listener.environment)
        defer { kill(host.process.processIdentifier, SIGKILL) }
        let ready = try await offThePool { [listener] () -> (String?, [String]) in
            var skipped: [String] = []
            let message = listener.await("READY=1", within: .seconds(20), skipped: &skipped)
            return (message, skipped)
        }
        let before = ready.1
        let readyMessage = try #require(ready.0, "no READY=1; before it: \(before)")
        #expect(before.contains { $0.contains("STATUS=loading") }, "\(before)")
        #expect(readyMessage.contains("STATUS=serving 1 check(s) on 127.0.0.1:\(host.port)"), "\(readyMessage)")
        // READY came after the listener opened: the first request answers.
        #expect(try await RawHTTPClient.request(port: host.port, "GET", "/health/ping").body == "pong")

        kill(host.process.processIdentifier, SIGHUP)
        let reload = try await offThePool { [listener] in
            var skipped: [String] = []
            let reloading = listener.await("RELOADING=1", within: .seconds(5), skipped: &skipped)
            let readyAgain = listener.await("READY=1", within: .seconds(5), skipped: &skipped)
            return (reloading, readyAgain)
        }
        #expect(reload.0?.contains("MONOTONIC_USEC=") == true, "\(String(describing: reload.0))")
        #expect(reload.1 != nil)
        #expect(host.process.isRunning, "SIGHUP ended the host")
        #expect(try await RawHTTPClient.request(port: host.port, "GET", "/health/ping").body == "pong")

        let log = try await host.terminate()
        let stopping = try await offThePool { [listener] in
            var skipped: [String] = []
            return listener.await("STOPPING=1", within: .seconds(5), skipped: &skipped)
        }
        #expect(stopping != nil)
        #expect(log.contains("SIGHUP: live reload is not available"), "\(log)")
        #expect(host.process.terminationStatus == 0, "\(log)")
    }

    // MARK: A connection that cannot be set up

    @Test func aConnectionThatCannotBeSetUpIsLoggedOncePerIntervalWithItsCount() {
        let capture = LogCapture()
        let gate = ConnectionGate(maxConnections: 10, logger: capture.logger(), logInterval: .hours(1))
        let refused = IOError(errnoCode: EACCES, reason: "setsockopt")
        gate.childSetupFailed(refused)
        gate.childSetupFailed(refused)
        gate.childSetupFailed(refused)
        let lines = capture.all.filter { $0.contains("could not be set up") }
        #expect(lines.count == 1, "\(capture.all)")
        #expect(lines.first?.contains("Permission denied") == true, "\(lines)")
        #expect(lines.first?.contains("(errno: 13)") == true, "\(lines)")
    }
}
