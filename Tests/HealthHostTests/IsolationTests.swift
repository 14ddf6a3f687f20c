import Foundation
import HealthCore
import HealthHostApp
import HealthPOSIX
import HealthPluginLoader
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Isolated plugins (`plugins.isolation`): each runs in a worker process, so that a
/// segfault, abort, exit or hang kills only the worker. The real binary is the worker;
/// the crashkit fixture misbehaves on purpose.
@Suite(.timeLimit(.minutes(2))) struct IsolationTests {
    private func yaml(
        checks: String, plugins extraPlugins: [String] = [], settings: String = "", extra: String = ""
    ) async throws -> String {
        hostYAML(
            // The real bundled core (from the build folder): it runs in the host process.
            plugins: [try await PluginCompiler.crashkit(), TestPaths.builtLibrary("libhh-core.so")] + extraPlugins,
            pluginConfig: "{ crashkit: { init: normal } }", checks: checks,
            extra: extra, isolation: "{ default: process }"
        ).replacingOccurrences(
            of: "plugins:\n", with: "plugins:\n" + (settings.contains("restart_delay") ? settings : "  restart_delay: 0.05\n\(settings)"))
    }

    private static let checks = """
          - { name: ok, plugin: crashkit, check: ok, groups: [liveness] }
          - { name: core, plugin: core, check: "true", groups: [liveness] }
          - { name: segv, plugin: crashkit, check: segv, default: false }
          - { name: raise, plugin: crashkit, check: raise, default: false }
          - { name: abort, plugin: crashkit, check: abort, default: false }
          - { name: exit, plugin: crashkit, check: exit, default: false }
          - { name: hang, plugin: crashkit, check: hang, default: false, timeout: 0.3 }
          - { name: spew, plugin: crashkit, check: spew, default: false, timeout: 10 }
          - { name: echo, plugin: crashkit, check: echo, default: false, args: { word: hi, token: tok-9f8e } }
        """

    private func workerPID(_ host: TestHost) -> Int32? {
        host.app.plugins.plugin(named: "crashkit")?.workerProcessID
    }

    @Test(arguments: [
        ("segv", "plugin crashed: signal 11 (SIGSEGV) while running 'segv'; last output: about to dereference NULL"),
        ("raise", "plugin crashed: signal 11 (SIGSEGV) while running 'raise'"),
        ("abort", "plugin crashed: signal 6 (SIGABRT) while running 'abort'"),
        ("exit", "plugin exited with status 3 while running 'exit'"),
    ])
    func aCrashingCheckFailsWithWhatHappenedAndEverythingElseKeepsAnswering(check: String, expected: String) async throws {
        try await TestHost.with(yaml: try await yaml(checks: Self.checks)) { host throws in
            let before = try #require(workerPID(host))
            #expect(before != getpid())
            let crashed = try await host.report(check)
            #expect(crashed.result.status == .fail)
            #expect(crashed.result.message.hasPrefix(expected), "\(crashed.result.message)")
            #expect(try await host.get("/health/ping").body == "pong")
            #expect(try await host.get("/health/?checks=core&auth=s3cret").status == 200)
            // The worker comes back after its back-off, as another process.
            #expect(try await eventually { try await host.report("ok").result.status == .pass })
            let after = try #require(workerPID(host))
            #expect(after != before)
            #expect(kill(before, 0) == -1 && errno == ESRCH, "the crashed worker \(before) was not reaped")
        }
    }

    @Test func untilItsBackOffHasPassedAWorkerThatDiedIsNotStartedAgain() async throws {
        let settings = "  restart_delay: 30\n"
        try await TestHost.with(yaml: try await yaml(checks: Self.checks, settings: settings)) { host throws in
            _ = try await host.report("segv")
            let waiting = try await host.report("ok")
            #expect(
                waiting.result.message.hasPrefix(
                    "plugin worker restarting after plugin crashed: signal 11 (SIGSEGV) while running 'segv'; next start in "),
                "\(waiting.result.message)")
            #expect(workerPID(host) == nil)
        }
    }

    @Test func aHungCallGetsItsWorkerKilledAndRestarted() async throws {
        let capture = LogCapture()
        try await TestHost.with(yaml: try await yaml(checks: Self.checks), logger: capture.logger()) { host throws in
            let before = try #require(workerPID(host))
            let started = ContinuousClock.now
            let hung = try await host.get("/health/?checks=hang&auth=s3cret")
            #expect(hung.status == 503)
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(
                await eventually {
                    capture.all.contains("warning worker restarted after a call hung past 300 ms while running 'hang'; killing it")
                }, "\(capture.all)")
            // The call returned (the engine holds no stuck thread) and a new worker serves.
            #expect(try await eventually { try host.statistics("hang").runningSince == nil })
            #expect(try host.statistics("hang").isStuck == false)
            #expect(try await eventually { try await host.report("ok").result.status == .pass })
            #expect(try #require(workerPID(host)) != before)
            #expect(kill(before, 0) == -1)
        }
    }

    @Test func aWorkerThatKeepsDyingIsQuarantinedInsteadOfRestartStorming() async throws {
        let settings = "  quarantine_after: 3\n  restart_delay: 0.01\n  max_restart_delay: 0.02\n"
        try await TestHost.with(yaml: try await yaml(checks: Self.checks, settings: settings)) { host throws in
            var last = ""
            for _ in 0..<50 where !last.hasPrefix("quarantined") {
                last = try await host.report("segv").result.message
                try await Task.sleep(for: .milliseconds(30))
            }
            #expect(last.hasPrefix("quarantined: the plugin's worker died 3 times in "), "\(last)")
            #expect(last.contains("(last: plugin crashed: signal 11 (SIGSEGV) while running 'segv')"), "\(last)")
            let ok = try await host.report("ok")
            #expect(ok.result.status == .fail && ok.result.message.hasPrefix("quarantined"))
            #expect(workerPID(host) == nil)
            #expect(try await host.get("/health/?checks=core&auth=s3cret").status == 200)
        }
    }

    @Test func isolatedChecksServeDialectsParametersInfoAndLogsAsInProcess() async throws {
        let capture = LogCapture()
        let extra = "http:\n  runscope: { enabled: true }\n"
        try await TestHost.with(
            yaml: try await yaml(checks: Self.checks, extra: extra), logger: capture.logger()
        ) { host throws in
            let pid = try #require(workerPID(host))
            let ok = try await host.report("ok")
            #expect(
                ok.result
                    == CheckResult(
                        status: .pass, message: "ok in pid \(pid) as ok", observedValue: Double(pid), observedUnit: "pid"))
            let echo = try await host.report("echo")
            #expect(echo.result.status == .warn)
            #expect(echo.result.message == "hi x2 (token ********)")
            #expect(try await host.get("/livez").status == 200)
            let json = try await host.get("/health/?checks=ok,echo&auth=s3cret", headers: ["Accept": "application/health+json"])
            #expect(json.status == 200 && json.body.contains("\"observedUnit\":\"pid\""))
            let environment = try await host.get("/environment?auth=s3cret")
            #expect(environment.body.contains("\"worker_pid\":\"\(pid)\""), "\(environment.body.prefix(600))")
            #expect(capture.all.contains("info crashkit initialised"))
            #expect(capture.all.contains("info ok ran in its worker"))
            #expect(!capture.detailed.contains { $0.contains("tok-9f8e") })
            #expect(!environment.body.contains("tok-9f8e"))
            #expect(host.app.plugins.plugin(named: "crashkit")?.isolation == .process)
            #expect(host.app.plugins.plugin(named: "core")?.isolation == PluginIsolation.none)
            #expect(host.app.plugins.plugin(named: "core")?.placement.isBundled == true, "by its folder, not its name")
            #expect(host.app.plugins.plugin(named: "crashkit")?.placement.isBundled == false)
        }
    }

    @Test func aCheckThatSpewsMegabytesBlocksNothing() async throws {
        try await TestHost.with(yaml: try await yaml(checks: Self.checks)) { host throws in
            let spew = try await host.report("spew")
            #expect(spew.result == .pass("wrote 2 MB"))
            #expect(try await host.get("/health/ping").body == "pong")
        }
    }

    @Test(arguments: [
        ("crash", "init crashed the worker: crashed: signal 11 (SIGSEGV)"),
        ("hang", "init did not return within 300 ms; the worker was killed"),
        ("fail", "init failed: refusing: init=fail"),
    ])
    func initCrashesHangsAndFailuresAreLoadErrorsNamingTheFile(mode: String, expected: String) async throws {
        let plugin = try await PluginCompiler.crashkit()
        let yaml = hostYAML(
            plugins: [plugin], pluginConfig: "{ crashkit: { init: \(mode) } }",
            checks: "  - { name: ok, plugin: crashkit, check: ok }", isolation: "{ default: process }"
        ).replacingOccurrences(of: "plugins:\n", with: "plugins:\n  init_timeout: 0.3\n")
        let started = ContinuousClock.now
        let error = try await offThePool { () -> String? in
            do {
                _ = try TestHost.build(yaml: yaml)
                return nil
            } catch {
                return "\(error)"
            }
        }
        let message = try #require(error)
        #expect(message.contains("plugin \(plugin): \(expected)"), "\(message)")
        #expect(ContinuousClock.now - started < .seconds(30), "a hang, not a slow machine")
        // With on_error: skip the host starts without it.
        let skipping = yaml.replacingOccurrences(of: "plugins:\n", with: "plugins:\n  on_error: skip\n")
            .replacingOccurrences(of: "checks:\n  - { name: ok, plugin: crashkit, check: ok }\n", with: "")
        let app = try await offThePool { try TestHost.build(yaml: skipping) }
        #expect(app.plugins.broken.map(\.path) == [plugin])
        app.shutdown()
    }

    /// A worker answers `shutdown` by exiting, and its reader thread collects it: the host
    /// must not then wait out the whole grace (1 s) for a process that is gone, once per
    /// plugin (100 isolated plugins took 100 s to stop, past any termination grace period).
    @Test func stoppingTheHostDoesNotWaitOutTheGraceOfWorkersThatHaveExited() async throws {
        var paths: [String] = []
        for index in 0..<4 {
            paths.append(try await PluginCompiler.broken(["PLUGIN_NAME=\"quick\(index)\""], fileName: "hh-quick\(index).so"))
        }
        let app = try TestHost.build(yaml: hostYAML(plugins: paths, isolation: "{ default: process }"))
        #expect(app.plugins.plugins.count == 4 && app.plugins.plugins.allSatisfy { $0.isolation == .process })
        let pids = app.plugins.plugins.compactMap(\.workerProcessID)
        #expect(pids.count == 4)
        let started = ContinuousClock.now
        app.shutdown()
        // Four graces would be 4 s; a prompt exit each is milliseconds.
        #expect(ContinuousClock.now - started < .seconds(2), "the host waited out the workers' grace")
        for pid in pids { #expect(kill(pid, 0) == -1 && errno == ESRCH, "worker \(pid) is still there") }
    }

    @Test func noWorkerIsLeftWhenTheHostStops() async throws {
        // A file of its own, so that only this test's workers carry its path.
        let plugin = try await PluginCompiler.crashkit(fileName: "hh-crashkit-leftovers.so")
        let yaml = try await yaml(checks: Self.checks).replacingOccurrences(
            of: try await PluginCompiler.crashkit(), with: plugin)
        var pids: [Int32] = []
        try await TestHost.with(yaml: yaml) { host throws in
            pids.append(try #require(workerPID(host)))
            _ = try await host.report("segv")
            #expect(try await eventually { try await host.report("ok").result.status == .pass })
            pids.append(try #require(workerPID(host)))
            #expect(Self.children(running: plugin).count == 1)
        }
        for pid in pids {
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "worker \(pid) still exists (or is a zombie) after shutdown")
        }
        #expect(Self.children(running: plugin).isEmpty)
    }

    /// The processes whose command line names `plugin` (workers run `healthhost worker
    /// --plugin PATH`).
    static func children(running plugin: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            // Read to the end with read(2): a /proc file has no size to go by.
            let command = (try? FileReading.bytes(atPath: "/proc/\(pid)/cmdline")) ?? []
            return String(decoding: command, as: UTF8.self).contains(plugin)
        }
    }
}
