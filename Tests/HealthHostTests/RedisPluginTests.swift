import Foundation
import HealthCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The bundled `redis` plugin against a real redis-server (Debian's) started by the test
/// on a free port with `requirepass`, and stopped by its PID.
/// Serialized: every host in this process shares the one loaded image of the plugin,
/// whose shutdown closes the connections of all of them.
@Suite(.timeLimit(.minutes(2)), .serialized) struct RedisPluginTests {
    private let plugin = TestPaths.builtLibrary("libhh-redis.so")

    /// A throwaway redis-server: no persistence, loopback only.
    private final class RedisServer: @unchecked Sendable {
        let port: Int
        let password = "r3dis-pw"
        private let server: ServerProcess

        init() async throws {
            port = try freePort()
            server = try await ServerProcess(
                "/usr/bin/redis-server",
                [
                    "--port", "\(port)", "--bind", "127.0.0.1", "--requirepass", password, "--save", "", "--appendonly", "no",
                    "--protected-mode", "yes", "--dir", TestPaths.temporaryDirectory("redis"),
                ], readyWhenPort: port)
        }

        /// `connected_clients` as the server counts them (this query's connection included).
        func connectedClients() async throws -> Int {
            let port = self.port
            let password = self.password
            let reply = try await offThePool { () -> String in
                let socket = try TestSocket(port: port)
                socket.send("AUTH \(password)\r\nINFO clients\r\nQUIT\r\n")
                return String(decoding: socket.readUntilClose(timeout: 5).data, as: UTF8.self)
            }
            let line = reply.split(separator: "\r\n").first { $0.hasPrefix("connected_clients:") } ?? ""
            return Int(line.dropFirst("connected_clients:".count)) ?? -1
        }
    }

    private func yaml(_ checks: String) -> String {
        hostYAML(plugins: [plugin], auth: "{ disabled: true }", checks: checks)
    }

    @Test func pingAuthenticatesSelectsAndSaysWhatItSaw() async throws {
        let redis = try await RedisServer()
        let passwordFile = TestPaths.temporaryDirectory("redis-secret") + "/password"
        try "\(redis.password)\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let checks = """
              - { name: ok, plugin: redis, check: ping, args: { port: \(redis.port), password: \(redis.password), db: 2 } }
              - { name: from-file, plugin: redis, check: ping, args: { port: \(redis.port), password_file: "\(passwordFile)" } }
              - { name: wrong, plugin: redis, check: ping, args: { port: \(redis.port), password: not-it } }
              - { name: none, plugin: redis, check: ping, args: { port: \(redis.port) } }
              - { name: baddb, plugin: redis, check: ping, args: { port: \(redis.port), password: \(redis.password), db: 99 } }
              - { name: refused, plugin: redis, check: ping, args: { port: 1 } }
            """
        let capture = LogCapture()
        try await TestHost.with(yaml: yaml(checks), logger: capture.logger()) { host throws in
            let ok = try await host.report("ok").result
            #expect(ok.status == .pass)
            #expect(ok.message.hasPrefix("Redis 7."), "\(ok.message)")
            #expect(ok.message.contains(" at 127.0.0.1:\(redis.port) answered PING in "))
            #expect(ok.observedUnit == "ms")
            #expect(try await host.report("from-file").result.status == .pass)
            let wrong = try await host.report("wrong").result.message
            #expect(wrong.hasPrefix("127.0.0.1:\(redis.port): authentication failed: WRONGPASS"), "\(wrong)")
            let none = try await host.report("none").result.message
            #expect(none.hasPrefix("127.0.0.1:\(redis.port): authentication required: set password or password_file"), "\(none)")
            let baddb = try await host.report("baddb").result.message
            #expect(baddb.hasPrefix("127.0.0.1:\(redis.port): SELECT 99 failed: ERR"), "\(baddb)")
            #expect(try await host.report("refused").result.message == "127.0.0.1:1 refused the connection")
            #expect(!capture.detailed.contains { $0.contains(redis.password) })
            #expect(!ok.message.contains(redis.password) && !wrong.contains("not-it"))
        }
    }

    @Test func probesReuseOneConnectionAndReconnectAfterTheServerDropsIt() async throws {
        let redis = try await RedisServer()
        let checks = "  - { name: cache, plugin: redis, check: ping, args: { port: \(redis.port), password: \(redis.password) } }"
        try await TestHost.with(yaml: yaml(checks)) { host throws in
            let first = try await host.report("cache").result
            #expect(first.message.hasSuffix("(new connection)"))
            for _ in 0..<10 { #expect(try await host.report("cache").result.status == .pass) }
            // Ours and the one asking.
            #expect(try await redis.connectedClients() == 2)
            let again = try await host.report("cache").result
            #expect(again.status == .pass && !again.message.hasSuffix("(new connection)"), "\(again.message)")
            // The server drops every client: the next probe reconnects and passes.
            let port = redis.port
            let password = redis.password
            _ = try await offThePool { () -> Data in
                let socket = try TestSocket(port: port)
                socket.send("AUTH \(password)\r\nCLIENT KILL TYPE normal SKIPME yes\r\nQUIT\r\n")
                return socket.readUntilClose(timeout: 5).data
            }
            let afterDrop = try await host.report("cache").result
            #expect(afterDrop.status == .pass, "\(afterDrop.message)")
            #expect(afterDrop.message.hasSuffix("(new connection)"))
        }
    }

    @Test func aRotatedPasswordFileAppliesToTheNextConnection() async throws {
        let redis = try await RedisServer()
        let passwordFile = TestPaths.temporaryDirectory("redis-rotate") + "/password"
        try "old-and-wrong\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let checks = "  - { name: cache, plugin: redis, check: ping, args: { port: \(redis.port), password_file: \"\(passwordFile)\" } }"
        try await TestHost.with(yaml: yaml(checks)) { host throws in
            #expect(try await host.report("cache").result.message.contains("authentication failed"))
            try "\(redis.password)\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            #expect(try await host.report("cache").result.status == .pass)
        }
    }

    @Test func aServerThatNeverAnswersIsATimeoutWithinTheCheck() async throws {
        let silent = try SilentListener()
        let port = silent.port
        let checks = """
              - { name: auth, plugin: redis, check: ping, timeout: 0.5, args: { port: \(port), password: xyzzy-secret } }
              - { name: plain, plugin: redis, check: ping, timeout: 0.5, args: { port: \(port) } }
            """
        try await TestHost.with(yaml: yaml(checks)) { host throws in
            let started = ContinuousClock.now
            #expect(try await host.report("auth").result.message == "127.0.0.1:\(port): no answer to AUTH within the timeout")
            let plain = try await host.report("plain").result.message
            #expect(plain.hasPrefix("127.0.0.1:\(port): no answer to PING within "), "\(plain)")
            #expect(ContinuousClock.now - started < .seconds(30), "a hang, not a slow machine")
        }
    }

    @Test func tlsSpeaksTLSAndVerifiesTheServer() async throws {
        // A TLS-only redis-server with a self-signed certificate: the check connects over
        // TLS and refuses the certificate, saying why (verification is never skipped).
        let folder = TestPaths.temporaryDirectory("redis-tls")
        let made = try await runOffThePool(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem",
                "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
        #expect(made.status == 0, "\(made.output)")
        let port = try freePort()
        let server = try await ServerProcess(
            "/usr/bin/redis-server",
            [
                "--port", "0", "--tls-port", "\(port)", "--bind", "127.0.0.1", "--tls-cert-file", folder + "/cert.pem",
                "--tls-key-file", folder + "/key.pem", "--tls-auth-clients", "no", "--save", "", "--dir", folder,
            ], readyWhenPort: port)
        defer { _ = server }
        let checks = "  - { name: secure, plugin: redis, check: ping, args: { host: 127.0.0.1, port: \(port), tls: true } }"
        try await TestHost.with(yaml: yaml(checks)) { host throws in
            let secure = try await host.report("secure").result.message
            #expect(secure.hasPrefix("TLS verification of 127.0.0.1 failed: self-signed certificate"), "\(secure)")
        }
    }
}
