import Foundation

/// A real OTLP/HTTP receiver (Tests/Fixtures/otlp_receiver.py): decodes what the host
/// exports with opentelemetry-proto's classes and keeps every span as a JSON line.
final class OTLPReceiver: Sendable {
    let port: Int
    private let spansFile: String
    private let server: ServerProcess

    /// Starts a receiver answering every export with `status`, over connections it keeps
    /// open (HTTP/1.1) when `keepAlive`, else closes after each answer (HTTP/1.0).
    convenience init(status: Int = 200, keepAlive: Bool = false) async throws {
        try await self.init(answers: ["\(status)"], keepAlive: keepAlive)
    }

    /// Starts a receiver answering the first export with `answers[0]`, the second with
    /// `answers[1]` and so on, the last answer for the rest: a status, or `status:seconds`
    /// with `Retry-After: seconds`. Spans are kept from 2xx answers only. With `tls`,
    /// HTTPS with that certificate and key, and with its `clientCA` only for clients
    /// with a certificate that CA signed.
    init(
        answers: [String], keepAlive: Bool = false, tls: (certificate: String, key: String, clientCA: String?)? = nil
    ) async throws {
        let directory = TestPaths.temporaryDirectory("otlp")
        let portFile = "\(directory)/port"
        spansFile = "\(directory)/spans.jsonl"
        let script = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/otlp_receiver.py").path
        var arguments = [script, portFile, spansFile, answers.joined(separator: ",")]
        if keepAlive { arguments.append("keep-alive") }
        if let tls { arguments.append("tls=" + ([tls.certificate, tls.key] + [tls.clientCA].compactMap { $0 }).joined(separator: ",")) }
        server = try await ServerProcess("/usr/bin/env", ["python3"] + arguments, orFile: portFile)
        port = Int(try String(contentsOfFile: portFile, encoding: .utf8)) ?? 0
    }

    /// The spans received so far.
    var spans: [[String: Any]] {
        guard let text = try? String(contentsOfFile: spansFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// Every POST so far, accepted or not: `time` (seconds since 1970) and the `status` answered.
    var attempts: [[String: Any]] {
        guard let text = try? String(contentsOfFile: spansFile + ".attempts", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// Waits (up to 10 s) until at least `count` spans arrived; returns them.
    func waitForSpans(_ count: Int) async throws -> [[String: Any]] {
        await poll(timeout: .seconds(10), every: .milliseconds(50)) { () -> [[String: Any]]? in
            let received = spans
            return received.count >= count ? received : nil
        } ?? spans
    }
}
