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

        // One loop blocks for 1.5 s (a blocking call where none belongs); the loop itself
        // records when the stall began and ended.
        let stall = NIOLockedValueBox<(begin: ContinuousClock.Instant?, end: ContinuousClock.Instant?)>((nil, nil))
        var loops = group.makeIterator()
        let second = try #require(loops.next().flatMap { _ in loops.next() })
        second.execute {
            stall.withLockedValue { $0.begin = .now }
            usleep(1_500_000)
            stall.withLockedValue { $0.end = .now }
        }
        // Every ping with the time it arrived, until the stall is over and pings resumed.
        var pings: [ContinuousClock.Instant] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let message = listener.next(within: .milliseconds(20)), message == "WATCHDOG=1" { pings.append(.now) }
            if let end = stall.withLockedValue({ $0.end }), let last = pings.last, last > end { break }
        }
        let (begin, end) = stall.withLockedValue { $0 }
        let stallBegan = try #require(begin)
        let stallEnded = try #require(end, "the stall never ended")
        // A round that began before the stall may still ping (one period, 50 ms, plus the
        // time a ping takes to arrive); none after that while the loop is blocked.
        let during = pings.filter { $0 > stallBegan + .milliseconds(150) && $0 < stallEnded }
        #expect(during.isEmpty, "\(during.count) ping(s) while a loop was stalled")
        #expect(pings.contains { $0 > stallEnded }, "no ping after the loop answered again")
        #expect(capture.all.contains { $0.contains("stopped answering") && $0.contains("watchdog") }, "\(capture.all)")
        #expect(capture.all.contains { $0.contains("every event loop answers again") }, "\(capture.all)")
    }

    // MARK: The real binary

    @Test func serveIsReadyOnceListeningReloadsOnSIGHUPAndSaysStoppingOnSIGTERM() async throws {
        let listener = try NotifySocketListener()
        // Port 0: the host picks its port when it binds, so READY's STATUS can name it
        // only once the listener is open.
        let host = try ServedHost(yaml: Self.config(port: 0), environment: listener.environment, keepPortZero: true)
        defer { kill(host.process.processIdentifier, SIGKILL) }
        let ready = try await offThePool { [listener] () -> (String?, [String]) in
            var skipped: [String] = []
            let message = listener.await("READY=1", within: .seconds(20), skipped: &skipped)
            return (message, skipped)
        }
        let before = ready.1
        let readyMessage = try #require(ready.0, "no READY=1; before it: \(before)")
        #expect(before.contains { $0.contains("STATUS=loading") }, "\(before)")
        let prefix = "STATUS=serving 1 check(s) on 127.0.0.1:"
        let statusLine = try #require(readyMessage.split(separator: "\n").first { $0.hasPrefix(prefix) }, "\(readyMessage)")
        let port = try #require(Int(statusLine.dropFirst(prefix.count)), "\(statusLine)")
        #expect(port > 0)
        // The port READY named answers at once.
        #expect(try await RawHTTPClient.request(port: port, "GET", "/health/ping").body == "pong")

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
        #expect(try await RawHTTPClient.request(port: port, "GET", "/health/ping").body == "pong")

        let log = try await host.terminate()
        let stopping = try await offThePool { [listener] in
            var skipped: [String] = []
            return listener.await("STOPPING=1", within: .seconds(5), skipped: &skipped)
        }
        #expect(stopping != nil)
        #expect(log.contains("SIGHUP: live reload is not available"), "\(log)")
        #expect(host.process.terminationStatus == 0, "\(log)")
    }

    @Test func aHostThatCannotListenNeverSaysReadyAndSaysWhy() async throws {
        let listener = try NotifySocketListener()
        let taken = try SilentListener()
        let host = try ServedHost(yaml: Self.config(port: taken.port), environment: listener.environment, keepPortZero: true)
        defer { kill(host.process.processIdentifier, SIGKILL) }
        let log = try await host.terminateWhenExited()
        var messages: [String] = []
        while let message = listener.next(within: .milliseconds(200)) { messages.append(message) }
        #expect(host.process.terminationStatus == 1, "\(log)")
        #expect(!messages.contains { $0.contains("READY=1") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("STATUS=cannot serve on 127.0.0.1:\(taken.port)") }, "\(messages)")
    }

    private static func config(port: Int) -> String {
        """
        listen: { host: 127.0.0.1, port: \(port) }
        auth: { secret: notify-test-secret }
        http: { shutdown_delay: 0 }
        plugins: { paths: [\(TestPaths.packageRoot.path)/.build/debug] }
        checks:
          - { name: alive, plugin: core, check: "true" }
        """
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
