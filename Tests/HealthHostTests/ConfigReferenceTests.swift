import Foundation
import HealthConfig
import Testing

/// The configuration reference (docs/configuration.md, "Configuration reference") and the
/// keys the config decoder accepts stay the same set: a key added to the code without a
/// row, or a row left behind by a removed key, fails here. The accepted keys are discovered from the decoder itself, through
/// its "unknown key 'zzz' (known keys here: ...)" errors.
@Suite(.timeLimit(.minutes(2))) struct ConfigReferenceTests {
    @Test func everyConfigKeyHasARowAndEveryRowIsAKey() throws {
        let accepted = Set(leafPaths(of: []))
        #expect(accepted.count > 40, "\(accepted.sorted())")  // the discovery itself works
        let documented = try documentedPaths()
        let undocumented = accepted.filter { !documented.contains($0) }
        let stale = documented.filter { !accepted.contains($0) }
        #expect(undocumented.isEmpty, "keys without a row in docs/configuration.md's reference: \(undocumented.sorted())")
        #expect(stale.isEmpty, "rows for keys the config does not accept: \(stale.sorted())")
    }

    // MARK: - What the decoder accepts

    /// Every leaf key path below `path` ("http.native.prefix", "checks[].name"); a list
    /// of mappings counts as a leaf itself ("checks") and contributes its items' keys.
    private func leafPaths(of path: [String]) -> [String] {
        if let keys = knownKeys(yaml(path, probe: "{ zzz: 1 }")) {
            return keys.flatMap { leafPaths(of: path + [$0]) }
        }
        if let last = path.last {
            let itemPath = path.dropLast() + [last + "[]"]
            if let keys = knownKeys(yaml(Array(itemPath), probe: "{ zzz: 1 }")) {
                return [dotted(path)] + keys.flatMap { leafPaths(of: itemPath + [$0]) }
            }
        }
        return [dotted(path)]
    }

    /// `{ a: { b: PROBE } }` for the path `a.b`; `a[]` is a list holding the rest.
    private func yaml(_ path: [String], probe: String) -> String {
        var text = probe
        for component in path.reversed() {
            text = component.hasSuffix("[]") ? "{ \(component.dropLast(2)): [\(text)] }" : "{ \(component): \(text) }"
        }
        return text
    }

    /// The keys the decoder lists when the probe's key `zzz` is refused as unknown;
    /// `nil` for any other outcome (a scalar there, or a free-form map).
    private func knownKeys(_ yaml: String) -> [String]? {
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml, file: "probe.yaml", directory: "/tmp")
            return nil
        } catch {
            guard error.keyPath.hasSuffix("zzz"), error.message.hasPrefix("unknown key 'zzz'"),
                let start = error.message.range(of: "(known keys here: ")
            else { return nil }
            return error.message[start.upperBound...].prefix { $0 != ")" }.split(separator: ", ").map(String.init)
        }
    }

    private func dotted(_ path: [String]) -> String { path.joined(separator: ".") }

    // MARK: - What docs/configuration.md documents

    /// The key paths in the first column of the configuration reference table; a
    /// `<placeholder>` segment ends a path, `/ .prefix` and `, .runtime` name siblings.
    private func documentedPaths() throws -> Set<String> {
        let page = try String(
            contentsOfFile: TestPaths.packageRoot.appendingPathComponent("docs/configuration.md").path, encoding: .utf8)
        let start = try #require(page.range(of: "\n## Configuration reference\n"), "docs/configuration.md has its reference section")
        let rest = page[start.upperBound...]
        let section = rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)]
        var paths: Set<String> = []
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let firstCell = line.dropFirst().prefix { $0 != "|" }
            let spans = firstCell.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }.map { String($0.element) }
            guard let first = spans.first else { continue }
            paths.insert(normalized(first))
            let parent = first.split(separator: ".").dropLast().joined(separator: ".")
            for sibling in spans.dropFirst() where sibling.hasPrefix(".") {
                paths.insert(normalized(parent + sibling))
            }
        }
        return paths
    }

    /// `plugins.config.<plugin>` documents the free-form map `plugins.config`.
    private func normalized(_ path: String) -> String {
        guard let placeholder = path.range(of: ".<") else { return path }
        return String(path[..<placeholder.lowerBound])
    }
}
