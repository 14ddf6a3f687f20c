import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real binary: what an in-process crash looks like (prompt, honest, named), what
/// in-process output can no longer block, and that a worker never outlives its host.
@Suite(.timeLimit(.minutes(2))) struct IsolationCLITests {
    private func config(_ checks: String, isolation: String, extra: String = "") async throws -> String {
        let path = TestPaths.temporaryDirectory("isolation-cli") + "/healthhost.yaml"
        let yaml = hostYAML(
            plugins: [try await PluginCompiler.crashkit()], auth: "{ disabled: true }", checks: checks, extra: extra,
            isolation: isolation)
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        return path
    }

    @Test(arguments: [
        ("segv", Int32(139), "healthhost: fatal signal 11 (SIGSEGV) in plugin 'crashkit' check 'segv' (configured as 'boom')"),
        ("raise", Int32(139), "healthhost: fatal signal 11 (SIGSEGV) in plugin 'crashkit' check 'raise' (configured as 'boom')"),
        ("abort", Int32(134), "healthhost: fatal signal 6 (SIGABRT) in plugin 'crashkit' check 'abort' (configured as 'boom')"),
        ("exit", Int32(3), "healthhost: exit() called in plugin 'crashkit' check 'exit' (configured as 'boom')"),
    ])
    func anInProcessCrashStopsTheHostAtOnceNamingTheCallAndReportsNoResult(check: String, status: Int32, line: String)
        async throws
    {
        let file = try await config("  - { name: boom, plugin: crashkit, check: \(check) }", isolation: "{ default: none }")
        // `sh -c` reports a death by signal as 128 + the signal, as shells do.
        let result = try await runOffThePool(
            "/bin/sh", ["-c", "'\(TestPaths.executable)' check --config '\(file)' --checks boom; echo \"exit=$?\""])
        #expect(result.output.contains(line), "\(result.output)")
        #expect(result.output.contains("exit=\(status)"), "\(result.output)")
        // No result is ever reported from a call that crashed.
        #expect(!result.output.contains("PASS") && !result.output.contains("boom: "), "\(result.output)")
    }

    @Test func anInProcessInitThatCrashesNamesThePluginAndItsFile() async throws {
        let file = try await config("  - { name: boom, plugin: crashkit, check: ok }", isolation: "{ default: none }")
        let yaml = try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "plugins:\n", with: "plugins:\n  config: { crashkit: { init: crash } }\n")
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await runOffThePool(
            "/bin/sh", ["-c", "'\(TestPaths.executable)' validate --config '\(file)'; echo \"exit=$?\""])
        // The file is named: the one in this config (a parallel test may compile another copy).
        let plugin = try #require(yaml.split(separator: "\"").first { $0.hasSuffix("hh-crashkit.so") })
        #expect(result.output.contains("healthhost: fatal signal 11 (SIGSEGV) in plugin 'crashkit' init (\(plugin))"), "\(result.output)")
        #expect(result.output.contains("exit=139"))
    }

    @Test func inProcessOutputToUnreadPipesBlocksNeitherChecksNorShutdown() async throws {
        let file = try await config(
            "  - { name: spew, plugin: crashkit, check: spew, timeout: 5 }\n  - { name: ok, plugin: crashkit, check: ok }",
            isolation: "{ default: none }")
        let port = try freePort()
        let yaml = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "port: 0", with: "port: \(port)")
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.executable)
        process.arguments = ["serve", "--config", file]
        // Both pipes stay open and are never read.
        let output = ProcessLaunch.pipe()
        let errors = ProcessLaunch.pipe()
        process.standardOutput = output
        process.standardError = errors
        try ProcessLaunch.run(process)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var pong = false
        for _ in 0..<200 where !pong {
            pong = (try? await RawHTTPClient.request(port: port, "GET", "/health/ping"))?.body == "pong"
            if !pong { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(pong)
        let spew = try await RawHTTPClient.request(port: port, "GET", "/health/?checks=spew")
        #expect(spew.status == 200, "\(spew.body)")
        #expect(try await RawHTTPClient.request(port: port, "GET", "/health/?checks=ok").status == 200)
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<200 where process.isRunning { try await Task.sleep(for: .milliseconds(25)) }
        #expect(!process.isRunning, "SIGTERM did not end a host whose plugin filled its stdout")
        _ = (output, errors)
    }

    @Test func aWorkerDiesWithItsHostEvenWhenTheHostIsKilled() async throws {
        let file = try await config("  - { name: ok, plugin: crashkit, check: ok }", isolation: "{ default: process }")
        let port = try freePort()
        let yaml = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "port: 0", with: "port: \(port)")
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.executable)
        process.arguments = ["serve", "--config", file]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try ProcessLaunch.run(process)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var answered = false
        for _ in 0..<200 where !answered {
            answered = (try? await RawHTTPClient.request(port: port, "GET", "/health/?checks=ok"))?.status == 200
            if !answered { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(answered)
        let children =
            (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(process.processIdentifier)/children", encoding: .utf8)) ?? ""
        let workers = Self.processes(commandContaining: "worker --plugin", parent: process.processIdentifier)
        #expect(workers.count == 1, "children: \(children)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(await eventually(within: .seconds(3)) { workers.allSatisfy { kill($0, 0) == -1 } })
    }

    @Test func pluginsAndValidateWorkWithIsolatedPluginsAndSayWhereEachRuns() async throws {
        let file = try await config(
            "  - { name: ok, plugin: crashkit, check: ok }\n  - { name: echo, plugin: crashkit, check: echo, args: { word: a } }",
            isolation: "{ default: process }")
        let listing = try await runOffThePool(TestPaths.executable, ["plugins", "--config", file])
        #expect(listing.status == 0, "\(listing.output)")
        #expect(listing.output.contains("crashkit 0.0.1\n"))
        #expect(
            listing.output.contains("  runs:    in a worker process (isolation: process), third-party (not in healthhost's bundled plugin folder "),
            "\(listing.output)")
        #expect(listing.output.contains("      token (string, default ********, secret)"))
        let validate = try await runOffThePool(TestPaths.executable, ["validate", "--config", file])
        #expect(validate.status == 0 && validate.output.contains("OK (1 plugin(s), 2 check(s))"), "\(validate.output)")
        let check = try await runOffThePool(TestPaths.executable, ["check", "--config", file, "--checks", "echo"])
        #expect(check.output.contains("a x2 (token ********)"), "\(check.output)")
    }

    /// Processes whose parent is `parent` and whose command line contains `text`.
    static func processes(commandContaining text: String, parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            guard let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == parent else { return false }
            let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return String(decoding: command.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }
}
