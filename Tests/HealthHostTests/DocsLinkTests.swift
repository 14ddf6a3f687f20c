import Foundation
import Testing

/// README.md and the pages in docs/ stay walkable: every relative link names a file that
/// exists, every `#anchor` names a heading of its page (by GitHub's slug rules), and every
/// page is linked from README. Links to other sites are not followed (no network here).
@Suite(.timeLimit(.minutes(1))) struct DocsLinkTests {
    @Test func everyRelativeLinkAndAnchorInTheDocsLeadsSomewhere() throws {
        let files = try Self.documentationFiles()
        #expect(files.count >= 10, "README.md and the docs/ pages were found: \(files)")
        var checked = 0
        var broken: [String] = []
        for file in files {
            let result = try MarkdownLinkChecker.check(file: file)
            checked += result.checked
            broken += result.broken
        }
        #expect(checked > 50, "the links were read: \(checked)")  // the parsing itself works
        #expect(broken.isEmpty, "broken links:\n\(broken.joined(separator: "\n"))")
    }

    /// Source paths named in the text (`Sources/HealthCore/Engine/CheckEngine.swift`, in
    /// code spans or not) name files that exist: files move between modules and folders,
    /// and a page that sends a newcomer to a file that is gone is a broken link too.
    @Test func everySourcePathTheDocsNameExists() throws {
        let root = TestPaths.packageRoot.path
        var named = 0
        var missing: [String] = []
        for file in try Self.documentationFiles() {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for path in Self.sourcePaths(in: text) {
                named += 1
                if !FileManager.default.fileExists(atPath: root + "/" + path) {
                    missing.append("\((file as NSString).lastPathComponent): \(path)")
                }
            }
        }
        #expect(named >= 3, "the source paths were read: \(named)")
        #expect(missing.isEmpty, "source paths that do not exist:\n\(missing.joined(separator: "\n"))")
        #expect(
            Self.sourcePaths(in: "see `Sources/HealthCore/Gone.swift`, Plugins/core/core.c.") == [
                "Sources/HealthCore/Gone.swift", "Plugins/core/core.c",
            ])
    }

    /// Repository paths of source files in `text`: `Sources/`, `Plugins/`, `Tests/`,
    /// `include/` or `bench/` followed by path characters and a file extension.
    static func sourcePaths(in text: String) -> [String] {
        let starts = ["Sources/", "Plugins/", "Tests/", "include/", "bench/"]
        let pathCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.+-")
        var found: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            let rest = text[index...]
            let before = index == text.startIndex ? " " : text[text.index(before: index)]
            if !pathCharacters.contains(before), let start = starts.first(where: { rest.hasPrefix($0) }) {
                var path = String(rest.prefix { pathCharacters.contains($0) })
                while path.hasSuffix(".") { path.removeLast() }
                let name = path.split(separator: "/").last.map(String.init) ?? ""
                if name.contains("."), !path.contains("*"), path.count > start.count { found.append(path) }
                index = text.index(index, offsetBy: max(path.count, 1))
            } else {
                index = text.index(after: index)
            }
        }
        return found
    }

    @Test func readmeLinksEveryDocsPage() throws {
        let readme = TestPaths.packageRoot.appendingPathComponent("README.md").path
        let linked = Set(try MarkdownLinkChecker.links(in: String(contentsOfFile: readme, encoding: .utf8)).map { $0.path })
        let pages = try Self.documentationFiles().filter { $0 != readme }.map { "docs/" + ($0 as NSString).lastPathComponent }
        let unlinked = pages.filter { !linked.contains($0) }
        #expect(unlinked.isEmpty, "pages README.md does not link: \(unlinked)")
    }

    /// `healthhost --help` and each command's help name only pages that exist, and between
    /// them every page an operator needs.
    @Test func theHelpNamesPagesThatExist() async throws {
        var named: Set<String> = []
        for arguments in [["--help"], ["help", "serve"], ["help", "check"], ["help", "plugins"], ["help", "validate"]] {
            let help = try await runOffThePool(TestPaths.executable, arguments)
            #expect(help.status == 0, "\(arguments): \(help.output)")
            let pages = help.output.matches(of: /docs\/[a-z0-9-]+\.md/).map { String($0.output) }
            #expect(!pages.isEmpty, "\(arguments) names no page: \(help.output)")
            named.formUnion(pages)
        }
        let root = TestPaths.packageRoot.path
        let missing = named.filter { !FileManager.default.fileExists(atPath: root + "/" + $0) }
        #expect(missing.isEmpty, "the help names pages that do not exist: \(missing.sorted())")
        // Every page an operator needs; the benchmarks are for whoever works on healthhost.
        let pages = try Self.documentationFiles().dropFirst().map { "docs/" + ($0 as NSString).lastPathComponent }
            .filter { $0 != "docs/benchmarks.md" }
        #expect(Set(pages).isSubset(of: named), "pages the help does not name: \(Set(pages).subtracting(named).sorted())")
    }

    /// The checker itself, on pages written to fail: each kind of break is reported, and
    /// nothing else is.
    @Test func theCheckerReportsAMissingFileAndAnAnchorWithoutItsHeading() throws {
        let folder = TestPaths.temporaryDirectory("docs-links")
        try FileManager.default.createDirectory(atPath: folder + "/docs", withIntermediateDirectories: true)
        try """
        # Front

        See [the page](docs/page.md), [its section](docs/page.md#the-rules-of-every-dialect),
        [a lost page](docs/missing.md), [a lost
        section](docs/page.md#no-such-heading), [here](#front) and [there](#nowhere).
        [Elsewhere](https://example.com/x.md) and `[code](docs/not-a-link.md)` are not checked.

        ```sh
        echo "[fenced](docs/fenced.md)"
        ```
        """.write(toFile: folder + "/README.md", atomically: true, encoding: .utf8)
        try "# Page\n\n## The rules of every dialect\n\nBack to [the front](../README.md#front).\n"
            .write(toFile: folder + "/docs/page.md", atomically: true, encoding: .utf8)

        let front = try MarkdownLinkChecker.check(file: folder + "/README.md")
        #expect(front.checked == 6, "\(front)")
        #expect(front.broken.count == 3, "\(front.broken)")
        #expect(front.broken.contains { $0.hasSuffix("docs/missing.md: no such file") }, "\(front.broken)")
        #expect(front.broken.contains { $0.hasSuffix("docs/page.md#no-such-heading: no such heading") }, "\(front.broken)")
        #expect(front.broken.contains { $0.hasSuffix("#nowhere: no such heading") }, "\(front.broken)")
        let page = try MarkdownLinkChecker.check(file: folder + "/docs/page.md")
        #expect(page.checked == 1 && page.broken.isEmpty, "\(page)")
    }

    @Test func headingsBecomeAnchorsAsOnGitHub() {
        let cases: [(String, String)] = [
            ("Native (`/health`, impact-stack-observability)", "native-health-impact-stack-observability"),
            ("Isolation: a broken plugin never takes the host down", "isolation-a-broken-plugin-never-takes-the-host-down"),
            ("As a container's PID 1", "as-a-containers-pid-1"),
            ("Traces (OpenTelemetry, OTLP/HTTP)", "traces-opentelemetry-otlphttp"),
            ("`net`: http, tcp, tls, dns", "net-http-tcp-tls-dns"),
            ("`redis.ping`", "redisping"),
            ("Packages: .deb, systemd, container", "packages-deb-systemd-container"),
            ("health+json (IETF draft-inadarei-api-health-check)", "healthjson-ietf-draft-inadarei-api-health-check"),
            ("Two  spaces and [a link](x.md) and **bold** and snake_case", "two--spaces-and-a-link-and-bold-and-snake_case"),
        ]
        for (heading, anchor) in cases { #expect(MarkdownLinkChecker.slug(heading) == anchor, "\(heading)") }
        #expect(MarkdownLinkChecker.anchors(in: "# A\n\n## A\n\n```\n# not a heading\n```\n### A\n") == ["a", "a-1", "a-2"])
    }

    /// README.md and every page of docs/.
    static func documentationFiles() throws -> [String] {
        let root = TestPaths.packageRoot
        let docs = root.appendingPathComponent("docs").path
        let pages = try FileManager.default.contentsOfDirectory(atPath: docs).filter { $0.hasSuffix(".md") }.sorted()
        return [root.appendingPathComponent("README.md").path] + pages.map { docs + "/" + $0 }
    }
}

/// Relative links and heading anchors of Markdown pages, as GitHub renders them: fenced
/// code blocks and code spans hold no links and no headings; a link's text may wrap lines.
enum MarkdownLinkChecker {
    struct Link: Equatable {
        /// The file part of the target, "" for a link within the page.
        let path: String
        /// The part after `#`, if any.
        let anchor: String?
    }

    struct Result: CustomStringConvertible {
        var checked = 0
        var broken: [String] = []
        var description: String { "\(checked) link(s) checked, broken: \(broken)" }
    }

    /// Checks every relative link of the page at `file`.
    static func check(file: String) throws -> Result {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let folder = (file as NSString).deletingLastPathComponent
        var result = Result()
        for link in links(in: text) {
            result.checked += 1
            let name = link.path + (link.anchor.map { "#" + $0 } ?? "")
            let target = link.path.isEmpty ? file : ((folder as NSString).appendingPathComponent(link.path) as NSString).standardizingPath
            guard FileManager.default.fileExists(atPath: target) else {
                result.broken.append("\(file): \(name): no such file")
                continue
            }
            guard let anchor = link.anchor else { continue }
            guard target.hasSuffix(".md"), let page = try? String(contentsOfFile: target, encoding: .utf8) else {
                result.broken.append("\(file): \(name): an anchor into a file that is not a Markdown page")
                continue
            }
            if !anchors(in: page).contains(anchor) { result.broken.append("\(file): \(name): no such heading") }
        }
        return result
    }

    /// The relative links of `text` (targets with a scheme, such as `https:`, left out).
    static func links(in text: String) -> [Link] {
        let prose = withoutCodeSpans(withoutFencedBlocks(text))
        // `[text](target)` or `[text](target "title")`; the text may hold one level of brackets.
        let link = /\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(([^()\s]+)(?:\s+"[^"]*")?\)/
        return prose.matches(of: link).compactMap { match in
            let target = String(match.output.1)
            if target.range(of: "^[A-Za-z][A-Za-z0-9+.-]*:", options: .regularExpression) != nil { return nil }
            let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            return Link(path: path, anchor: parts.count > 1 ? String(parts[1]) : nil)
        }
    }

    /// The anchors of the page's ATX headings, in order; a repeated one gets `-1`, `-2`.
    static func anchors(in text: String) -> [String] {
        var seen: [String: Int] = [:]
        var anchors: [String] = []
        for line in withoutFencedBlocks(text).split(separator: "\n") {
            guard let heading = line.firstMatch(of: /^#{1,6}[ \t]+(.*?)[ \t#]*$/) else { continue }
            let base = slug(String(heading.output.1))
            let count = seen[base, default: 0]
            seen[base] = count + 1
            anchors.append(count == 0 ? base : "\(base)-\(count)")
        }
        return anchors
    }

    /// GitHub's anchor for a heading (github-slugger): the rendered text in lower case,
    /// without punctuation and symbols (letters, digits, `_` and `-` stay), each space a `-`.
    static func slug(_ heading: String) -> String {
        var text = heading.replacing(/\[([^\]]*)\]\([^)]*\)/) { String($0.output.1) }
        text = text.replacing("`", with: "").replacing("*", with: "")
        let kept = text.lowercased().unicodeScalars.filter { scalar in
            let properties = scalar.properties
            return properties.isAlphabetic || properties.numericType != nil || scalar == "_" || scalar == "-" || scalar == " "
                || properties.generalCategory == .nonspacingMark || properties.generalCategory == .spacingMark
        }
        return String(String.UnicodeScalarView(kept)).replacing(" ", with: "-")
    }

    /// Lines inside ``` or ~~~ fences replaced by empty lines (so line structure stays).
    private static func withoutFencedBlocks(_ text: String) -> String {
        var fence: Substring?
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil }
                lines.append("")
            } else if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = trimmed.prefix(3)
                lines.append("")
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Code spans (`` `x` ``, ``` `` x ` y `` ```) removed; a span never crosses a blank line.
    private static func withoutCodeSpans(_ text: String) -> String {
        text.replacing(/(`+)(?:(?!\n\n)[\s\S])*?\1/, with: "")
    }
}
