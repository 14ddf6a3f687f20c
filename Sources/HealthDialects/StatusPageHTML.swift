import CNettle
import HealthCore
import HealthJSON
import HealthHTTP
import NIOCore
import NIOHTTP1

/// `GET {prefix}/status` for a browser (`Accept: text/html`): the page an on-call
/// engineer reads at 3 a.m. Every check with its status in colour and in words, its
/// message, how long it has had that status, the last success, failures in a row, the
/// last run's duration, its plugin and groups, and its last results as a row of marks.
///
/// It refreshes itself every 10 s with a `<meta http-equiv="refresh">` (no JavaScript),
/// loads nothing from anywhere (`Content-Security-Policy: default-src 'none'`, the one
/// inline style allowed by its hash), escapes everything a plugin wrote, and sends no
/// `Referer` onwards (`?auth=` may be in its address). Same auth and the same engine
/// state as the JSON page: it runs no check.
enum StatusPageHTML {
    static let refreshSeconds = 10

    /// Whether the request prefers HTML (a browser) over JSON.
    static func isRequested(by request: HTTPRequest) -> Bool {
        for value in request.headers["Accept"] {
            for item in value.split(separator: ",") {
                let type = item.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() }
                if type == "text/html" || type == "application/xhtml+xml" { return true }
                if type == "application/json" { return false }
            }
        }
        return false
    }

    private static let style = """
        body{font:15px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fafafa}
        h1{font-size:1.3em;margin:0 0 .2em}p.meta{color:#555;margin:0 0 1em}
        table{border-collapse:collapse;width:100%;background:#fff}
        th,td{border-bottom:1px solid #ddd;padding:.45em .6em;text-align:left;vertical-align:top}
        th{background:#eee;font-weight:600}
        .badge{display:inline-block;min-width:4.5em;padding:.15em .5em;border-radius:.3em;font-weight:700;color:#fff;text-align:center}
        .pass{background:#1a7f37}.warn{background:#9a6700}.fail{background:#cf222e}.none{background:#6e7781}
        .msg{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}
        .hist span{display:inline-block;width:.7em;height:1.1em;margin-right:2px;border-radius:2px}
        .damped{color:#9a6700;font-size:.9em}
        .summary span{margin-right:1em}
        """

    /// The CSP source of the inline style: its SHA-256, base64.
    private static let styleHash: String = {
        var context = sha256_ctx()
        nettle_sha256_init(&context)
        let bytes = Array(style.utf8)
        nettle_sha256_update(&context, bytes.count, bytes)
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_SIZE))
        nettle_sha256_digest(&context, digest.count, &digest)
        return "'sha256-\(Base64.encode(digest))'"
    }()

    static func response(registry: CheckRegistry, engine: CheckEngine, environment: EnvironmentReport, now: WallTime = .now)
        -> HTTPResponse
    {
        var rows = ""
        var counts: [String: Int] = [:]
        for check in registry.checks {
            let statistics = engine.statistics(of: check.name) ?? CheckStatistics()
            let word = statusWord(statistics)
            counts[word, default: 0] += 1
            rows += row(check, statistics, word: word, now: now)
        }
        let summary = ["FAIL", "WARN", "PASS", "NO RESULT"].compactMap { word in
            counts[word].map { "<span class=\"badge \(cssClass(word))\">\($0) \(word)</span>" }
        }.joined()
        let title = "\(environment.serviceName) on \(environment.hostname)"
        let body = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(worst(counts))) · \(escape(title))</title>
            <style>\(style)</style></head>
            <body>
            <h1>\(escape(title))</h1>
            <p class="meta">healthhost · \(registry.checks.count) checks · as of \(escape(timestamp(now))) · refreshes every \(refreshSeconds) s</p>
            <p class="summary">\(summary)</p>
            <table>
            <thead><tr><th>check</th><th>status</th><th>message</th><th>for</th><th>last success</th><th>failures in a row</th>\
            <th>last run</th><th>plugin</th><th>groups</th><th>recent results (oldest first)</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            </body></html>

            """
        var headers = HealthHeaders.noCache
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        headers.add(
            name: "Content-Security-Policy",
            value: "default-src 'none'; style-src \(styleHash); img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Referrer-Policy", value: "no-referrer")
        headers.add(name: "X-Frame-Options", value: "DENY")
        return HTTPResponse(status: .ok, headers: headers, body: ByteBuffer(string: body))
    }

    private static func row(_ check: RegisteredCheck, _ statistics: CheckStatistics, word: String, now: WallTime) -> String {
        let last = statistics.lastReport
        var message = last.map { escape($0.result.message) } ?? "no result yet"
        if statistics.isStuck { message += "<br><span class=\"damped\">a call is stuck past its timeout</span>" }
        if statistics.isStale { message += "<br><span class=\"damped\">the latest background result is stale</span>" }
        if let last, let damping = last.damping, let raw = last.rawResult {
            message +=
                """
                <br><span class=\"damped\">the last run said \(escape(raw.status.description)): \(escape(raw.message)) — damped: \
                \(escape(damping))</span>
                """
        }
        let since = statistics.statusSince.map { age(now.timeIntervalSince($0)) } ?? "–"
        let success = statistics.lastSuccessAt.map { "\(age(now.timeIntervalSince($0))) ago" } ?? "never"
        let duration = last.map { $0.duration.humanReadable } ?? "–"
        let plugin = check.implementation.source
        let history = statistics.history.map { entry in
            let title = "\(timestamp(entry.at)) \(entry.status)\(entry.rawStatus.map { " (run: \($0))" } ?? ""): \(entry.message)"
            return "<span class=\"\(cssClass(entry.status.description.uppercased()))\" title=\"\(escape(title))\"></span>"
        }.joined()
        return """
            <tr><td><strong>\(escape(check.name))</strong></td>\
            <td><span class="badge \(cssClass(word))">\(word)</span></td>\
            <td class="msg">\(message)</td><td>\(since)</td><td>\(success)</td>\
            <td>\(statistics.consecutiveFailures)</td><td>\(duration)</td><td>\(escape(plugin))</td>\
            <td>\(escape(check.groups.joined(separator: ", ")))</td><td class="hist">\(history)</td></tr>

            """
    }

    private static func statusWord(_ statistics: CheckStatistics) -> String {
        guard let last = statistics.lastReport else { return "NO RESULT" }
        if statistics.isStale || statistics.isStuck { return "FAIL" }
        return last.result.status.description.uppercased()
    }

    private static func worst(_ counts: [String: Int]) -> String {
        ["FAIL", "WARN", "PASS", "NO RESULT"].first { counts[$0] != nil } ?? "NO CHECKS"
    }

    private static func cssClass(_ word: String) -> String {
        switch word {
        case "PASS": "pass"
        case "WARN": "warn"
        case "FAIL": "fail"
        default: "none"
        }
    }

    /// `3 min 12 s`, `2 h 5 min`, `4 d 1 h`.
    static func age(_ seconds: Double) -> String {
        let total = max(0, Int(seconds))
        if total < 60 { return "\(total) s" }
        if total < 3600 { return "\(total / 60) min \(total % 60) s" }
        if total < 86400 { return "\(total / 3600) h \(total % 3600 / 60) min" }
        return "\(total / 86400) d \(total % 86400 / 3600) h"
    }

    private static func timestamp(_ date: WallTime) -> String {
        date.iso8601()
    }

    /// Text made safe for HTML content and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
