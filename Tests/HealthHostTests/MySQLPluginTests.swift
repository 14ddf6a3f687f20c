import Foundation
import HealthCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The bundled `mysql` plugin against a throwaway MariaDB (Debian's mariadb-server):
/// `mariadb-install-db` in a temporary folder, a server on a free port, a user with a
/// password; killed by its PID when the test ends.
/// Serialized: every host in this process shares the one loaded image of the plugin,
/// whose shutdown closes the connections of all of them.
@Suite(.timeLimit(.minutes(2)), .serialized) struct MySQLPluginTests {
    private let plugin = TestPaths.builtLibrary("libhh-mysql.so")

    private final class MariaDB: @unchecked Sendable {
        let port: Int
        let password = "app-pw-7"
        let folder: String
        private var server: ServerProcess?

        init() async throws {
            port = try freePort()
            folder = TestPaths.temporaryDirectory("mariadb")
            let install = try await runOffThePool(
                "/usr/bin/mariadb-install-db",
                [
                    "--no-defaults", "--datadir=\(folder)/data", "--auth-root-authentication-method=normal", "--skip-test-db",
                    "--user=root",
                ])
            guard install.status == 0 else { throw RawHTTPClient.ClientError("mariadb-install-db: \(install.output)") }
            server = try await ServerProcess(
                "/usr/sbin/mariadbd",
                [
                    "--no-defaults", "--datadir=\(folder)/data", "--socket=\(folder)/sock", "--port=\(port)",
                    "--bind-address=127.0.0.1", "--user=root", "--skip-log-bin", "--innodb-buffer-pool-size=16M",
                ], orFile: folder + "/sock")
            let setup = try await runOffThePool(
                "/usr/bin/mariadb",
                [
                    "--no-defaults", "--socket=\(folder)/sock", "-uroot", "-e",
                    "CREATE USER 'app'@'%' IDENTIFIED BY '\(password)'; GRANT ALL ON *.* TO 'app'@'%'; CREATE DATABASE orders;",
                ])
            guard setup.status == 0 else { throw RawHTTPClient.ClientError("mariadb setup: \(setup.output)") }
        }

        /// Connections of the user `app` the server has now.
        func appConnections() async throws -> Int {
            let result = try await runOffThePool(
                "/usr/bin/mariadb",
                [
                    "--no-defaults", "--socket=\(folder)/sock", "-uroot", "-N", "-e",
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'app'",
                ])
            return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
    }

    @Test func pingRunsTheQueryAndEachFailureSaysWhy() async throws {
        let db = try await MariaDB()
        let port = db.port
        let checks = """
              - { name: ok, plugin: mysql, check: ping, args: { port: \(port), user: app, password: \(db.password), database: orders } }
              - { name: wrong, plugin: mysql, check: ping, args: { port: \(port), user: app, password: nope } }
              - { name: nodb, plugin: mysql, check: ping, args: { port: \(port), user: app, password: \(db.password), database: nope } }
              - { name: badquery, plugin: mysql, check: ping, args: { port: \(port), user: app, password: \(db.password), query: "SELECT nope" } }
              - { name: refused, plugin: mysql, check: ping, args: { port: 1, user: app } }
              - { name: slow, plugin: mysql, check: ping, timeout: 2, args: { port: \(port), user: app, password: \(db.password), query: "SELECT SLEEP(10)" } }
            """
        let capture = LogCapture()
        try await TestHost.with(yaml: hostYAML(plugins: [plugin], auth: "{ disabled: true }", checks: checks), logger: capture.logger()) {
            host throws in
            let ok = try await host.report("ok").result
            #expect(ok.status == .pass && ok.observedUnit == "ms")
            #expect(ok.message.hasPrefix("MySQL 10."), "\(ok.message)")
            #expect(ok.message.contains("-MariaDB") && ok.message.contains(" answered SELECT 1 in "))
            let wrong = try await host.report("wrong").result.message
            #expect(wrong.hasPrefix("cannot connect to MySQL at 127.0.0.1:\(port): Access denied for user 'app'"), "\(wrong)")
            #expect(try await host.report("nodb").result.message.hasSuffix("Unknown database 'nope'"))
            #expect(
                try await host.report("badquery").result.message
                    == "MySQL at 127.0.0.1:\(port) answered 'SELECT nope' with an error: Unknown column 'nope' in 'SELECT'")
            #expect(try await host.report("refused").result.message.hasPrefix("cannot connect to MySQL at 127.0.0.1:1: "))
            #expect(try await host.report("slow").result.message == "MySQL at 127.0.0.1:\(port): 'SELECT SLEEP(10)' did not finish within 1 s")
            for line in capture.detailed + [ok.message, wrong] { #expect(!line.contains(db.password)) }
        }
    }

    @Test func probesKeepOneConnectionAndARotatedPasswordFileApplies() async throws {
        let db = try await MariaDB()
        let file = TestPaths.temporaryDirectory("mysql-secret") + "/password"
        try "stale\n".write(toFile: file, atomically: true, encoding: .utf8)
        let checks = """
              - { name: db, plugin: mysql, check: ping, args: { port: \(db.port), user: app, password: \(db.password) } }
              - { name: rotated, plugin: mysql, check: ping, args: { port: \(db.port), user: app, password_file: "\(file)" } }
            """
        try await TestHost.with(yaml: hostYAML(plugins: [plugin], auth: "{ disabled: true }", checks: checks)) { host throws in
            for _ in 0..<10 { #expect(try await host.report("db").result.status == .pass) }
            #expect(try await db.appConnections() == 1)
            #expect(try await host.report("rotated").result.message.contains("Access denied"))
            try "\(db.password)\n".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try await host.report("rotated").result.status == .pass)
            #expect(try await db.appConnections() == 2)
        }
    }
}
