import Foundation
import HealthConfig
import Testing

/// A configured response header that frames the body or manages the connection
/// (`Transfer-Encoding`, `Content-Length`, `Connection`, ...) broke every response of its
/// route; such names are refused when the config is read, by `healthhost validate` too.
@Suite(.timeLimit(.minutes(2))) struct FramingHeaderConfigTests {
    private static func yaml(header: String, value: String = "x") -> String {
        "auth: { disabled: true }\nhttp:\n  runscope:\n    enabled: true\n    headers:\n      X-Served-By: healthhost\n      \(header): \(value)\n"
    }

    @Test(arguments: [
        ("Transfer-Encoding", "chunked", "the server frames each body itself"),
        ("transfer-encoding", "gzip", "the server frames each body itself"),
        ("Content-Length", "0", "the server sets the body's length on each response"),
        ("CONNECTION", "close", "the server decides per request whether the connection stays open"),
        ("Keep-Alive", "timeout=5", "the server decides per request whether the connection stays open"),
        ("Proxy-Connection", "keep-alive", "the server decides per request whether the connection stays open"),
        ("Upgrade", "h2c", "it offers a protocol switch the server never makes"),
        ("Trailer", "Expires", "it announces trailer fields the server never sends"),
        ("TE", "trailers", "it is a request header, meaningless in a response"),
    ])
    func aFramingOrHopByHopNameIsRefusedWithItsKeyLineAndReason(name: String, value: String, reason: String) throws {
        do {
            _ = try ConfigurationLoader.parse(yaml: Self.yaml(header: name, value: value), file: "h.yaml", directory: "/etc/hh")
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.file == "h.yaml")
            #expect(error.line == 7 && error.column == 7)
            #expect(error.keyPath == "http.runscope.headers.\(name)")
            #expect(error.message.hasPrefix("'\(name)' cannot be configured: \(reason)"), "\(error.message)")
            #expect(error.message.hasSuffix("; remove it"), "\(error.message)")
        }
    }

    @Test(arguments: ["X-Request-Source", "Cache-Control", "Content-Language", "X-Connection-Id", "Transfer-Encoding-Hint"])
    func otherNamesStayAllowed(name: String) throws {
        let loaded = try ConfigurationLoader.parse(yaml: Self.yaml(header: name), file: "h.yaml", directory: "/etc/hh")
        #expect(loaded.configuration.http.runscope.headers[name] == "x")
    }

    @Test func healthhostValidateReportsTheRefusedHeader() async throws {
        let path = TestPaths.temporaryDirectory("framing-header") + "/healthhost.yaml"
        try Self.yaml(header: "Transfer-Encoding", value: "chunked").write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await runOffThePool(TestPaths.executable, ["validate", "--config", path])
        #expect(result.status == 1, "\(result.output)")
        #expect(
            result.output.contains(
                "healthhost: config error: \(path):7:7: http.runscope.headers.Transfer-Encoding: 'Transfer-Encoding' cannot be "
                    + "configured: the server frames each body itself; a configured transfer coding would misframe every "
                    + "response; remove it"),
            "\(result.output)")
    }
}
