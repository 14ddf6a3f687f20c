import Foundation
import HealthCore
import HealthHostApp
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The bundled `nagios` plugin against real Monitoring Plugins (Debian's
/// monitoring-plugins-basic, installed by scripts/setup) and small shell commands that
/// crash, hang, spew and look at what they were given.
@Suite(.timeLimit(.minutes(2))) struct NagiosPluginTests {
    private let plugin = TestPaths.builtLibrary("libhh-nagios.so")

    /// The report of `command` run as a nagios.run check with `timeout` seconds.
    private func run(_ command: String, timeout: Double = 5) async throws -> CheckReport {
        let escaped = command.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let yaml = hostYAML(
            plugins: [plugin], auth: "{ disabled: true }",
            checks: "  - { name: probe, plugin: nagios, check: run, timeout: \(timeout), args: { command: \"\(escaped)\" } }")
        var report: CheckReport?
        try await TestHost.with(yaml: yaml) { host throws in report = try await host.report("probe") }
        return try #require(report)
    }

    @Test(arguments: [
        ("check_dummy 0 'all good'", CheckStatus.pass, "OK: all good"),
        ("check_dummy 1 \"disk at 91%\"", .warn, "WARNING: disk at 91%"),
        ("check_dummy 2 down", .fail, "CRITICAL: down"),
        ("check_dummy 3 'no idea'", .fail, "UNKNOWN: no idea"),
        ("/bin/sh -c 'echo odd; exit 4'", .fail, "UNKNOWN: '/bin/sh' exited with status 4: odd"),
        ("/bin/sh -c 'kill -9 $$'", .fail, "UNKNOWN: '/bin/sh' was killed by signal 9 (SIGKILL)"),
    ])
    func exitCodesMapToStatusesAndTheFirstLineIsTheMessage(command: String, status: CheckStatus, message: String) async throws {
        let report = try await run(command)
        #expect(report.result.status == status)
        #expect(report.result.message.hasPrefix(message), "\(report.result.message)")
    }

    @Test(arguments: [
        ("check_nothing_like_this", "command: 'check_nothing_like_this' is not an executable in /usr/lib/nagios/plugins:"),
        ("/no/such/check_x -w 1", "command: cannot execute '/no/such/check_x': No such file or directory"),
        ("check_dummy 'unclosed", "command: cannot split it into words: a single quote is not closed"),
    ])
    func aCommandThatCannotRunIsAConfigErrorAtStartUpNamingTheLine(command: String, message: String) async throws {
        for isolation in ["{ default: none }", "{ default: none, nagios: process }"] {
            let yaml = hostYAML(
                plugins: [plugin], auth: "{ disabled: true }",
                checks: "  - { name: ok, plugin: nagios, check: run, args: { command: \"check_dummy 0\" } }\n"
                    + "  - { name: probe, plugin: nagios, check: run, args: { command: \"\(command)\" } }",
                isolation: isolation)
            let error = try await offThePool { () -> String in
                do {
                    let app = try TestHost.build(yaml: yaml)
                    app.shutdown()
                    return ""
                } catch {
                    return "\(error)"
                }
            }
            #expect(error.contains("test.yaml:8:"), "\(isolation): \(error)")
            #expect(error.contains("checks[1].args: check 'nagios.run': \(message)"), "\(isolation): \(error)")
        }
    }

    @Test func aRealPluginAgainstARealPortSaysWhatItSaw() async throws {
        let report = try await run("check_tcp -H 127.0.0.1 -p 1 -t 2")
        #expect(report.result.status == .fail)
        #expect(report.result.message.contains("Connection refused"), "\(report.result.message)")
    }

    @Test func perfdataGivesTheObservedValueAndUnitOfTheFirstLabel() async throws {
        let report = try await run("/bin/sh -c \"echo 'OK - answered | ''time spent''=0.012s;1;2;0 size=3B'\"")
        #expect(report.result.message == "OK - answered")
        #expect(report.result.observedValue == 0.012)
        #expect(report.result.observedUnit == "s")
    }

    @Test func wordsSplitLikeAShellWithoutAShell() async throws {
        let report = try await run(#"/bin/echo "a  b" 'c "d"' e\ f $HOME `id` ;ls"#)
        #expect(report.result.message == #"a  b c "d" e f $HOME `id` ;ls"#)
    }

    @Test func theEnvironmentIsMinimalAndNoDescriptorIsInherited() async throws {
        let environment = try await run("/bin/sh -c 'env | sort | tr \"\\n\" \" \"'")
        #expect(
            environment.result.message.hasPrefix("LANG=C LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            "\(environment.result.message)")
        #expect(!environment.result.message.contains("HOME="))
        // 0, 1, 2 and the descriptor ls opens to read the folder: nothing of the host's.
        let descriptors = try await run("/bin/sh -c 'ls /proc/self/fd | wc -l'")
        #expect(descriptors.result.message.trimmingCharacters(in: .whitespaces) == "4")
    }

    @Test func aCommandPastTheTimeoutIsKilledWithItsWholeGroupAndReaped() async throws {
        let started = ContinuousClock.now
        let report = try await run("/bin/sh -c 'sleep 31.25 & sleep 31.25; echo never'", timeout: 0.5)
        #expect(report.result.status == .fail)
        #expect(report.result.message.hasPrefix("timed out after 400 ms: '/bin/sh' was killed"), "\(report.result.message)")
        #expect(ContinuousClock.now - started < .seconds(30), "a hang, not a slow machine")
        // Neither the shell nor the sleep it put in the background is left.
        #expect(await eventually { Self.processes(with: "31.25").isEmpty }, "\(Self.processes(with: "31.25"))")
    }

    @Test func megabytesOfOutputAreCappedAndCannotHangTheCheck() async throws {
        let report = try await run("/bin/sh -c 'echo STATUS OK; head -c 1000000 /dev/zero | tr \"\\\\0\" x'")
        #expect(report.result == .pass("STATUS OK"))
    }

    /// Processes whose command line contains `text`.
    static func processes(with text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return String(decoding: command.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }
}
