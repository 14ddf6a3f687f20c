import Foundation
import HealthCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The bundled `postgres` plugin against a throwaway PostgreSQL cluster: `initdb` in a
/// temporary folder with password (SCRAM) auth, run by the `postgres` user on a free port
/// and stopped when the test ends.
/// Serialized: every host in this process shares the one loaded image of the plugin,
/// whose shutdown closes the connections of all of them.
@Suite(.timeLimit(.minutes(2)), .serialized) struct PostgresPluginTests {
    private let plugin = TestPaths.builtLibrary("libhh-postgres.so")

    private final class Cluster: @unchecked Sendable {
        let port: Int
        let password = "pg-s3cret"
        let folder: String
        let bin: String
        private var started = false

        var conninfo: String { "host=127.0.0.1 port=\(port) user=postgres password=\(password) dbname=postgres" }

        init() async throws {
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
            guard let version = versions.sorted().last else { throw RawHTTPClient.ClientError("no PostgreSQL server installed") }
            bin = "/usr/lib/postgresql/\(version)/bin"
            port = try freePort()
            folder = TestPaths.temporaryDirectory("postgres")
            try "\(password)\n".write(toFile: folder + "/pw", atomically: true, encoding: .utf8)
            try await Self.check(runOffThePool("/bin/chown", ["-R", "postgres:postgres", folder]))
            // PostgreSQL refuses to run as root: its own user runs it.
            try await Self.check(
                runOffThePool(
                    "/usr/sbin/runuser",
                    [
                        "-u", "postgres", "--", bin + "/initdb", "-D", folder + "/data", "-U", "postgres", "--auth=scram-sha-256",
                        "--pwfile=\(folder)/pw", "-E", "UTF8", "--no-sync",
                    ]))
            // Not through a pipe: the server would inherit its write end and never let
            // the read reach EOF. pg_ctl -w returns once the server accepts connections.
            let arguments = [
                "-u", "postgres", "--", bin + "/pg_ctl", "-D", folder + "/data", "-l", folder + "/log", "-w", "-o",
                "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
            ]
            let status = try await offThePool { Self.spawnAndWait("/usr/sbin/runuser", arguments) }
            guard status == 0 else {
                let log = (try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? ""
                throw RawHTTPClient.ClientError("pg_ctl start failed (\(status)): \(log)")
            }
            started = true
        }

        deinit {
            guard started else { return }
            _ = Self.spawnAndWait(
                "/usr/sbin/runuser", ["-u", "postgres", "--", bin + "/pg_ctl", "-D", folder + "/data", "-m", "immediate", "-w", "stop"])
        }

        /// Runs a command with its output to /dev/null and waits with `waitpid`
        /// (Foundation's Process did not notice runuser's exit once a daemon it started
        /// outlived it); returns the exit status, or -1.
        static func spawnAndWait(_ executable: String, _ arguments: [String]) -> Int32 {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, executable, &actions, nil, &argv, environ) == 0 else { return -1 }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
        }

        private static func check(_ result: (status: Int32, output: String)) throws {
            guard result.status == 0 else { throw RawHTTPClient.ClientError(result.output) }
        }

        /// How many sessions named healthhost the server has.
        func healthhostSessions() async throws -> Int {
            let result = try await runOffThePool(
                bin + "/psql",
                [
                    "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-Atc",
                    "select count(*) from pg_stat_activity where application_name = 'healthhost'",
                ],
                environment: ["PGPASSWORD": password, "PATH": "/usr/bin:/bin"])
            return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
    }

    private func yaml(_ checks: String) -> String {
        hostYAML(plugins: [plugin], auth: "{ disabled: true }", checks: checks)
    }

    @Test func pingRunsTheQueryAndEachFailureSaysWhy() async throws {
        let cluster = try await Cluster()
        let info = cluster.conninfo
        let checks = """
              - { name: ok, plugin: postgres, check: ping, args: { conninfo: "\(info)" } }
              - { name: wrong, plugin: postgres, check: ping, args: { conninfo: "\(info.replacingOccurrences(of: cluster.password, with: "nope"))" } }
              - { name: nodb, plugin: postgres, check: ping, args: { conninfo: "\(info.replacingOccurrences(of: "dbname=postgres", with: "dbname=nope"))" } }
              - { name: refused, plugin: postgres, check: ping, args: { conninfo: "host=127.0.0.1 port=1 user=postgres" } }
              - { name: badquery, plugin: postgres, check: ping, args: { conninfo: "\(info)", query: "SELECT nope" } }
              - { name: slow, plugin: postgres, check: ping, timeout: 2, args: { conninfo: "\(info)", query: "SELECT pg_sleep(10)" } }
              - { name: empty, plugin: postgres, check: ping }
            """
        let capture = LogCapture()
        try await TestHost.with(yaml: yaml(checks), logger: capture.logger()) { host throws in
            let ok = try await host.report("ok").result
            #expect(ok.status == .pass)
            #expect(ok.message.hasPrefix("PostgreSQL 1"), "\(ok.message)")
            #expect(ok.message.contains(" answered SELECT 1 in ") && ok.message.hasSuffix("(new connection)"))
            #expect(ok.observedUnit == "ms")
            let wrong = try await host.report("wrong").result.message
            #expect(wrong.contains("password authentication failed for user \"postgres\""), "\(wrong)")
            #expect(try await host.report("nodb").result.message.contains("database \"nope\" does not exist"))
            let refused = try await host.report("refused").result.message
            #expect(refused.hasPrefix("cannot connect to PostgreSQL: ") && refused.contains("Connection refused"), "\(refused)")
            #expect(
                try await host.report("badquery").result.message
                    == "PostgreSQL answered 'SELECT nope' with an error: column \"nope\" does not exist")
            let started = ContinuousClock.now
            let slow = try await host.report("slow").result.message
            #expect(slow == "PostgreSQL: the query did not finish in time (cancelled)", "\(slow)")
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(try await host.report("empty").result.message == "no conninfo: set conninfo or conninfo_file")
            for line in capture.detailed + [ok.message, wrong] { #expect(!line.contains(cluster.password)) }
        }
    }

    @Test func probesKeepOneConnectionPerCheckAndFollowARotatedConninfoFile() async throws {
        let cluster = try await Cluster()
        let file = TestPaths.temporaryDirectory("pg-conninfo") + "/conninfo"
        try cluster.conninfo.replacingOccurrences(of: cluster.password, with: "stale").write(
            toFile: file, atomically: true, encoding: .utf8)
        let checks = """
              - { name: db, plugin: postgres, check: ping, args: { conninfo: "\(cluster.conninfo)" } }
              - { name: rotated, plugin: postgres, check: ping, args: { conninfo_file: "\(file)" } }
            """
        try await TestHost.with(yaml: yaml(checks)) { host throws in
            for _ in 0..<10 { #expect(try await host.report("db").result.status == .pass) }
            #expect(try await cluster.healthhostSessions() == 1)
            #expect(try await host.report("db").result.message.hasSuffix("(new connection)") == false)
            #expect(try await host.report("rotated").result.message.contains("password authentication failed"))
            try cluster.conninfo.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try await host.report("rotated").result.status == .pass)
            #expect(try await cluster.healthhostSessions() == 2)
        }
    }
}
