import Logging
import NIOCore
import NIOHTTP1

/// One log line per request (`logging.access`), for finding out at 3 a.m. who probes
/// what and what they got: `GET /health/ 503` with the client, the query and the time
/// taken. Query values of ``redactedQueryNames`` (the shared secret's `auth`) are
/// replaced by `********`, and so is every ``redactedValues`` value wherever it appears
/// in the (percent-decoded) path or query: a client that sends the secret as `?token=`
/// or in the path does not get it written in clear. The request headers, where
/// `Authorization` travels, are not logged. Control characters are escaped so that a
/// request cannot forge log lines.
struct AccessLog: Sendable {
    let logger: Logger
    let redactedQueryNames: Set<String>
    let redactedValues: @Sendable () -> [String]
    /// Log only requests answered with a status of 400 or more.
    let onlyFailures: Bool

    /// What is known of a request when its answer is written.
    struct Entry {
        let method: HTTPMethod
        let uri: String
        let query: Query
        let started: NIODeadline
    }

    /// The request's query as far as it was read.
    enum Query {
        case parsed(QueryParameters)
        /// An invalid percent escape (answered 400).
        case malformed
        /// Not parsed: the request broke a size limit first (414, 431).
        case notRead
    }

    func record(_ entry: Entry, status: HTTPResponseStatus, client: SocketAddress?) {
        if onlyFailures && status.code < 400 { return }
        let elapsed = Double((NIODeadline.now() - entry.started).nanoseconds) / 1_000_000
        let rawPath = entry.uri.firstIndex(of: "?").map { entry.uri[..<$0] } ?? Substring(entry.uri)
        let secrets = redactedValues().filter { !$0.isEmpty }
        let path = Self.hiding(secrets, in: PercentDecoding.decode(rawPath) ?? String(rawPath))
        var metadata: Logger.Metadata = [
            "http.client": "\(client?.ipAddress ?? "unknown")",
            "http.duration_ms": "\((elapsed * 100).rounded() / 100)",
        ]
        switch entry.query {
        case .parsed(let query) where !query.pairs.isEmpty:
            metadata["http.query"] = "\(Self.printable(Self.hiding(secrets, in: redacted(query))))"
        case .malformed:
            metadata["http.query"] = "(malformed)"
        case .notRead where entry.uri.contains("?"):
            metadata["http.query"] = "(not read)"
        case .parsed, .notRead:
            break
        }
        logger.info("\(entry.method.rawValue) \(Self.printable(path)) \(status.code)", metadata: metadata)
    }

    /// A request NIOHTTP1 could not parse; its error handler has answered 400 and the
    /// connection closes. Logged as `- - 400` with the parser's error.
    func recordMalformed(_ error: HTTPParserError, client: SocketAddress?) {
        logger.info(
            "- - 400",
            metadata: ["http.client": "\(client?.ipAddress ?? "unknown")", "http.error": "malformed request: \(error)"])
    }

    private func redacted(_ query: QueryParameters) -> String {
        query.pairs.map { pair in
            pair.name + "=" + (redactedQueryNames.contains(pair.name) ? "********" : pair.value)
        }.joined(separator: "&")
    }

    /// `text` with every occurrence of each secret replaced by `********`.
    static func hiding(_ secrets: [String], in text: String) -> String {
        secrets.reduce(text) { text, secret in
            text.contains(secret) ? text.replacing(secret, with: "********") : text
        }
    }

    /// At most 256 characters, control characters as `\u{..}`.
    static func printable<Text: StringProtocol>(_ text: Text) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(256) {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator, .format:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 256 ? out + "…" : out
    }
}
