import Foundation
import Testing

/// `/health/status` as a browser shows it: Debian's headless Chromium loads the page
/// from the real server, and the test reads the DOM it built (and takes a screenshot).
@Suite(.timeLimit(.minutes(2)), .serialized) struct StatusPageBrowserTests {
    private let secret = DialectFixture.secret

    /// A config with dialectkit's three checks and one whose message is hostile HTML.
    private func yaml() async throws -> String {
        var yaml = try await DialectFixture.yaml()
        yaml = yaml.replacingOccurrences(of: "  paths: [", with: "  paths: [\"\(TestPaths.builtLibrary("libhh-nagios.so"))\", ")
        let hostile = #"/bin/echo '<script>document.title=1</script><img src=x onerror=alert(1)> & <b>bold</b>'"#
        return yaml.replacingOccurrences(
            of: "checks:\n", with: "checks:\n  - { name: hostile, plugin: nagios, check: run, args: { command: \"\(hostile)\" } }\n")
    }

    private func chromium(_ arguments: [String]) async throws -> String {
        try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
            process.arguments =
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--user-data-dir=\(TestPaths.temporaryDirectory("chromium"))",
                ] + arguments
            let output = ProcessLaunch.pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try ProcessLaunch.run(process)
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return text
        }
    }

    @Test func aBrowserShowsEveryCheckInWordsAndColourEscapedAndWithoutScripts() async throws {
        try await TestHost.with(yaml: try await yaml()) { host throws in
            // Results for every check but `warn`, twice for `down` (its history).
            for _ in 0..<2 { _ = try await host.get("/health/?checks=ok,down,hostile&auth=\(secret)") }
            let url = "http://127.0.0.1:\(host.port)/health/status?auth=\(secret)"
            let dom = try await chromium(["--dump-dom", url])
            #expect(dom.contains("<table>"), "\(dom.prefix(400))")
            // The title says the worst status; each check has a row with its status in words.
            #expect(dom.contains("<title>FAIL · healthhost on "))
            for (check, word) in [("ok", "PASS"), ("down", "FAIL"), ("warn", "NO RESULT"), ("hostile", "PASS")] {
                let row = try #require(dom.components(separatedBy: "<tr>").first { $0.contains("<strong>\(check)</strong>") })
                #expect(row.contains(">\(word)</span>"), "\(check): \(row)")
            }
            let down = try #require(dom.components(separatedBy: "<tr>").first { $0.contains("<strong>down</strong>") })
            #expect(down.contains("connection refused: db:5432"))
            #expect(down.contains("<td>2</td>"))  // failures in a row
            #expect(down.contains("dialectkit.down"))
            #expect(down.components(separatedBy: "class=\"fail\" title=").count == 3)  // two marks in its history
            // What the plugin wrote is text: no script ran (the title is intact), no element was made of it.
            #expect(dom.contains("&lt;script&gt;document.title=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"))
            #expect(!dom.contains("<b>bold</b>"))
            #expect(!dom.contains("<img"))
            #expect(!dom.contains(secret))

            let screenshot = TestPaths.temporaryDirectory("status") + "/status.png"
            _ = try await chromium(["--screenshot=\(screenshot)", "--window-size=1280,720", url])
            let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            #expect(png.count > 10_000)
        }
    }

    @Test func theHTMLPageHasTheSameAuthAStrictPolicyAndRefreshesItself() async throws {
        try await TestHost.with(yaml: try await yaml()) { host throws in
            let browser = ["Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]
            #expect(try await host.get("/health/status", headers: browser).status == 401)
            let page = try await host.get("/health/status?auth=\(secret)", headers: browser)
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            let policy = try #require(page.header("Content-Security-Policy"))
            #expect(policy.hasPrefix("default-src 'none'; style-src 'sha256-"))
            #expect(!policy.contains("unsafe"))
            #expect(page.header("Referrer-Policy") == "no-referrer")
            #expect(page.body.contains(#"<meta http-equiv="refresh" content="10">"#))
            #expect(!page.body.contains("<script"))
            // Without Accept: text/html it stays JSON.
            #expect(try await host.get("/health/status?auth=\(secret)").header("Content-Type") == "application/json")
        }
    }
}
