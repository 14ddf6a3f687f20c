import Foundation
import HealthCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `net.dns` against a real DNS server: dnsmasq (Debian's dnsmasq-base) on a high port
/// with a test zone, started by the test and stopped by its PID.
@Suite(.timeLimit(.minutes(2)), .serialized) struct DNSCheckTests {
    private let plugin = TestPaths.builtLibrary("libhh-net.so")

    private final class DNSServer: @unchecked Sendable {
        let port: Int
        private let server: ServerProcess

        init() async throws {
            port = try freePort()
            // dnsmasq also listens on TCP: ready when that port takes a connection.
            server = try await ServerProcess(
                "/usr/sbin/dnsmasq",
                [
                    "--no-daemon", "--conf-file=/dev/null", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
                    "--no-resolv", "--no-hosts", "--user=root", "--pid-file=", "--local=/test.internal/",
                    "--host-record=a.test.internal,10.1.2.3", "--host-record=b.test.internal,10.1.2.4",
                    "--host-record=b.test.internal,10.1.2.5", "--host-record=v6.test.internal,::1",
                    "--txt-record=txt.test.internal,hello world", "--mx-host=test.internal,mail.test.internal,10",
                    "--cname=alias.test.internal,a.test.internal",
                    "--srv-host=_http._tcp.test.internal,web.test.internal,8080,1,5",
                ], readyWhenPort: port)
        }
    }

    @Test func everyTypeAnswersAndEachFailureSaysWhich() async throws {
        let dns = try await DNSServer()
        let server = "127.0.0.1:\(dns.port)"
        let checks = """
              - { name: a, plugin: net, check: dns, args: { name: a.test.internal, server: "\(server)", expect: 10.1.2.3 } }
              - { name: b, plugin: net, check: dns, args: { name: b.test.internal, server: "\(server)", min_answers: 2, expect: "10.1.2.5, 10.1.2.4" } }
              - { name: aaaa, plugin: net, check: dns, args: { name: v6.test.internal, type: AAAA, server: "\(server)" } }
              - { name: txt, plugin: net, check: dns, args: { name: txt.test.internal, type: TXT, server: "\(server)" } }
              - { name: mx, plugin: net, check: dns, args: { name: test.internal, type: MX, server: "\(server)", expect: "10 mail.test.internal." } }
              - { name: cname, plugin: net, check: dns, args: { name: alias.test.internal, type: cname, server: "\(server)" } }
              - { name: srv, plugin: net, check: dns, args: { name: _http._tcp.test.internal, type: SRV, server: "\(server)" } }
              - { name: nx, plugin: net, check: dns, args: { name: nope.test.internal, server: "\(server)" } }
              - { name: nodata, plugin: net, check: dns, args: { name: b.test.internal, type: MX, server: "\(server)" } }
              - { name: wrong, plugin: net, check: dns, args: { name: a.test.internal, server: "\(server)", expect: 10.9.9.9 } }
              - { name: few, plugin: net, check: dns, args: { name: a.test.internal, server: "\(server)", min_answers: 2 } }
              - { name: badtype, plugin: net, check: dns, args: { name: a.test.internal, type: PTR, server: "\(server)" } }
              - { name: badserver, plugin: net, check: dns, args: { name: a.test.internal, server: "dns.example:53" } }
            """
        try await TestHost.with(yaml: hostYAML(plugins: [plugin], auth: "{ disabled: true }", checks: checks)) { host throws in
            func message(_ name: String) async throws -> String { try await host.report(name).result.message }
            let a = try await host.report("a").result
            #expect(a.status == .pass && a.observedValue == 1 && a.observedUnit == "answers")
            #expect(a.message.hasPrefix("a.test.internal A → 10.1.2.3 (1 answer) from \(server) in "), "\(a.message)")
            #expect(try await message("b").hasPrefix("b.test.internal A → 10.1.2.4, 10.1.2.5 (2 answers)"))
            #expect(try await message("aaaa").hasPrefix("v6.test.internal AAAA → ::1 (1 answer)"))
            #expect(try await message("txt").hasPrefix("txt.test.internal TXT → hello world (1 answer)"))
            #expect(try await host.report("mx").result.status == .pass)
            #expect(try await message("cname").hasPrefix("alias.test.internal cname → a.test.internal (1 answer)"))
            #expect(try await message("srv").hasPrefix("_http._tcp.test.internal SRV → 1 5 8080 web.test.internal"))
            #expect(try await message("nx") == "nope.test.internal A: no such name (NXDOMAIN) at \(server)")
            #expect(try await message("nodata") == "b.test.internal MX: the name has no MX records (NODATA) at \(server)")
            #expect(try await message("wrong") == "a.test.internal A → 10.1.2.3 from \(server): '10.9.9.9' is not among them")
            #expect(try await message("few") == "a.test.internal A → 1 answer(s) from \(server), fewer than min_answers 2: 10.1.2.3")
            #expect(try await message("badtype") == "type 'PTR' is not one of A, AAAA, CNAME, MX, TXT, SRV, NS")
            #expect(try await message("badserver") == "server 'dns.example:53' is not an IPv4 address with an optional :port")
        }
    }

    @Test func aServerThatDoesNotAnswerIsATimeoutWithinTheCheck() async throws {
        // A UDP port nobody answers on (the kernel drops it: no ICMP for a bound socket).
        let silent = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, length) == 0 && getsockname(silent, $0, &length) == 0 }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let checks = "  - { name: quiet, plugin: net, check: dns, timeout: 2, args: { name: a.test.internal, server: \"127.0.0.1:\(port)\" } }"
        try await TestHost.with(yaml: hostYAML(plugins: [plugin], auth: "{ disabled: true }", checks: checks)) { host throws in
            let quiet = try await host.report("quiet").result.message
            #expect(quiet.hasPrefix("a.test.internal A: no answer from 127.0.0.1:\(port) within "), "\(quiet)")
        }
    }
}
