import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real binary the way containers and hardened services run it (issue #39): as PID 1
/// of a PID namespace of its own (a container's entrypoint), and as an unprivileged user
/// with no capability, `no_new_privs` and a read-only root. Every test here launches
/// through `unshare` + `setpriv` (``RestrictedLaunch``), which needs root.
@Suite(
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: RestrictedLaunch.isAvailable, "needs root and util-linux's unshare, setpriv and chroot"))
struct RestrictedProcessTests {
    private static let secret = "s3cret-restricted"

    /// A config serving an isolated third-party plugin (crashkit, compiled here, in a
    /// worker), core and nagios in the host process, on `port`.
    private func config(port: Int, auth: String, folder: String) async throws -> String {
        let crashkit = try await PluginCompiler.crashkit()
        let core = try await PluginCompiler.core()
        let nagios = TestPaths.builtLibrary("libhh-nagios.so")
        let yaml = """
            listen: { host: 127.0.0.1, port: \(port) }
            auth: \(auth)
            http: { shutdown_delay: 0, drain_timeout: 1 }
            plugins:
              paths: ["\(crashkit)", "\(core)", "\(nagios)"]
              isolation: { default: process, core: none, nagios: none }
              config: { crashkit: { init: normal } }
            checks:
              - { name: ok, plugin: crashkit, check: ok, groups: [liveness, readiness] }
              - { name: alive, plugin: core, check: "true", groups: [liveness] }
              - { name: orphan, plugin: nagios, check: run, default: false, args: { command: "/bin/sh -c 'setsid sleep 0.2 >/dev/null 2>&1 & echo OK: left a child; exit 0'" } }
              - { name: orphan-critical, plugin: nagios, check: run, default: false, args: { command: "/bin/sh -c 'setsid sleep 0.1 >/dev/null 2>&1 & echo CRITICAL: down; exit 2'" } }
              - { name: warning, plugin: nagios, check: run, default: false, args: { command: "/bin/sh -c 'echo WARNING: slow; exit 1'" } }

            """
        let path = folder + "/healthhost.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Polls `path` until it answers 200, within 10 s.
    private func waitUntilServing(_ process: RestrictedProcess, port: Int) async throws {
        do {
            try await waitUntilAnswering(port: port, "/livez", stillRunning: { !process.hasExited })
        } catch {
            Issue.record("the host never answered /livez: \(error)\n\(process.output)")
            throw error
        }
    }

    private func status(of pid: pid_t) -> [String: String] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }

    /// One check run through the native API, answered as health+json (with its message).
    private func run(_ check: String, port: Int) async throws -> RawHTTPResponse {
        try await RawHTTPClient.request(
            port: port, "GET", "/health/?checks=\(check)&auth=\(Self.secret)", headers: ["Accept": "application/health+json"])
    }

    /// The PID the check's worker reports (its observed value, unit "pid").
    private func workerPID(port: Int) async throws -> Int? {
        let body = try await run("ok", port: port).body
        guard let range = body.range(of: "\"observedValue\":") else { return nil }
        return Int(body[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func theHostAsPIDOneServesWithAWorkerReapsOrphansKeepsExitStatusesAndStopsOnSIGTERM() async throws {
        let folder = TestPaths.temporaryDirectory("pid1")
        let port = try freePort()
        let file = try await config(port: port, auth: "{ secret: \(Self.secret) }", folder: folder)
        let context = RestrictedContext(
            user: 0, group: 0, dropAllCapabilities: false, noNewPrivileges: false, readOnlyRoot: true,
            ownPIDNamespace: true, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        let host = try RestrictedProcess(context, program: [TestPaths.executable, "serve", "--config", file], label: "pid1")
        let pid = try #require(await host.waitForWorkload(executing: TestPaths.executable), "\(host.output)")
        try await waitUntilServing(host, port: port)
        // It is PID 1 in its namespace (NSpid: <outside> 1).
        #expect(status(of: pid)["NSpid"]?.split(separator: "\t").last == "1", "\(status(of: pid))")
        // The third-party plugin runs in a worker, a child of the PID-1 host.
        let worker = try #require(try await workerPID(port: port), "\(host.output)")
        #expect(worker != 1)
        #expect(pidNamespaceMembers(of: pid).contains { $0.name == "healthhost" && $0.pid != pid })
        #expect(try await RawHTTPClient.request(port: port, "GET", "/readyz").status == 200)

        // Checks whose command leaves a child behind: the host, as init, reaps every
        // orphan, and never takes the exit status of the command it waits for itself.
        for round in 0..<20 {
            let left = try await run("orphan", port: port)
            #expect(left.status == 200 && left.body.contains("\"status\":\"pass\""), "round \(round): \(left.body)")
            let critical = try await run("orphan-critical", port: port)
            #expect(critical.status == 503 && critical.body.contains("CRITICAL: down"), "round \(round): \(critical.body)")
        }
        // The backgrounded children (in sessions of their own, out of reach of the
        // check's process-group kill) outlived their shell: orphans, adopted by the host.
        let orphans = pidNamespaceMembers(of: pid).filter { $0.name == "sleep" }
        #expect(!orphans.isEmpty && orphans.allSatisfy { $0.parent == pid }, "\(orphans)")
        let warning = try await run("warning", port: port)
        #expect(warning.body.contains("\"status\":\"warn\""), "\(warning.body)")
        // Every backgrounded sleep (0.2 s) has ended by now or soon; none stays a zombie.
        let clean = await eventually(within: .seconds(3)) {
            pidNamespaceMembers(of: pid).allSatisfy { $0.state != "Z" && $0.name != "sleep" }
        }
        let left = pidNamespaceMembers(of: pid).map { "\($0.pid) \($0.name) \($0.state)" }
        #expect(clean, "processes left in the namespace: \(left)")
        #expect(try await RawHTTPClient.request(port: port, "GET", "/livez").status == 200)

        // SIGTERM to PID 1 (delivered: the host handles it) stops it cleanly, at once.
        let stopping = ContinuousClock.now
        kill(pid, SIGTERM)
        let exit = await host.waitForExit(within: .seconds(8))
        #expect(exit == 0, "exit \(exit.map(String.init) ?? "none"):\n\(host.output)")
        #expect(ContinuousClock.now - stopping < .seconds(3))
    }

    @Test func validateAndCheckRunAsPIDOneWithAWorker() async throws {
        let folder = TestPaths.temporaryDirectory("pid1-validate")
        let file = try await config(port: try freePort(), auth: "{ secret: \(Self.secret) }", folder: folder)
        let context = RestrictedContext(
            user: 0, group: 0, dropAllCapabilities: false, noNewPrivileges: false, ownPIDNamespace: true)
        let validate = try RestrictedProcess(context, program: [TestPaths.executable, "validate", "--config", file])
        let status = await validate.waitForExit(within: .seconds(20))
        #expect(status == 0, "\(validate.output)")
        #expect(validate.output.contains("OK (3 plugin(s), 5 check(s))"), "\(validate.output)")
        let check = try RestrictedProcess(
            context, program: [TestPaths.executable, "check", "--config", file, "--checks", "ok,orphan-critical"])
        #expect(await check.waitForExit(within: .seconds(20)) == 2, "\(check.output)")
        #expect(check.output.contains("ok in pid"), "\(check.output)")
        #expect(check.output.contains("CRITICAL: down"), "\(check.output)")
    }

    /// How the hardened unit and a restricted pod run it: uid 65534, every capability
    /// dropped, no_new_privs, read-only root, the secret readable only through a group.
    @Test func anUnprivilegedHostWithNoCapabilitiesServesReadsItsSecretThroughAGroupAndSpawnsWorkers() async throws {
        let folder = TestPaths.temporaryDirectory("unprivileged")
        let secretGroup: UInt32 = 64_123
        let secretFile = folder + "/secret"
        try (Self.secret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        #expect(chown(secretFile, 0, secretGroup) == 0 && chmod(secretFile, 0o640) == 0)
        let port = try freePort()
        let file = try await config(port: port, auth: "{ secret_file: \(secretFile) }", folder: folder)
        var context = RestrictedContext(
            user: 65534, group: 65534, supplementaryGroups: [secretGroup], ownPIDNamespace: false,
            environment: ["PATH": "/usr/bin:/bin"])
        let host = try RestrictedProcess(context, program: [TestPaths.executable, "serve", "--config", file], label: "nobody")
        let pid = try #require(await host.waitForWorkload(executing: TestPaths.executable), "\(host.output)")
        try await waitUntilServing(host, port: port)
        let fields = status(of: pid)
        #expect(fields["Uid"]?.split(separator: "\t").first == "65534", "\(fields)")
        #expect(fields["Groups"]?.contains("\(secretGroup)") == true, "\(fields)")
        for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            #expect(fields[set] == "0000000000000000", "\(set): \(fields[set] ?? "-")")
        }
        #expect(fields["NoNewPrivs"] == "1")
        // Probes over real TCP; the secret (read through the group) is what opens details.
        #expect(try await RawHTTPClient.request(port: port, "GET", "/livez").status == 200)
        #expect(try await RawHTTPClient.request(port: port, "GET", "/readyz").status == 200)
        let authorised = try await RawHTTPClient.request(port: port, "GET", "/health/status?auth=\(Self.secret)")
        #expect(authorised.status == 200, "\(authorised.body.prefix(300))")
        let wrong = try await RawHTTPClient.request(port: port, "GET", "/health/status?auth=not-it")
        #expect(wrong.status == 401 || wrong.status == 403, "\(wrong.status)")
        // The plugin's worker runs, as the same unprivileged user, in a process of its own.
        let worker = try #require(try await workerPID(port: port), "\(host.output)")
        #expect(pid_t(worker) != pid)
        #expect(status(of: pid_t(worker))["Uid"]?.split(separator: "\t").first == "65534")
        #expect(status(of: pid_t(worker))["NoNewPrivs"] == "1")
        // Nothing can be written on the root file system.
        #expect(!host.output.contains("Read-only file system"), "\(host.output)")
        kill(pid, SIGTERM)
        #expect(await host.waitForExit(within: .seconds(8)) == 0, "\(host.output)")

        // Without the group, the same secret file cannot be read: the group is what grants it.
        context.supplementaryGroups = []
        let refused = try RestrictedProcess(context, program: [TestPaths.executable, "validate", "--config", file])
        #expect(await refused.waitForExit(within: .seconds(20)) == 1, "\(refused.output)")
        #expect(refused.output.contains(secretFile), "\(refused.output)")
    }
}
