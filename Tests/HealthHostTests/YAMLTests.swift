import Foundation
import HealthConfig
import HealthYAML
import Testing

/// HealthYAML: libyaml's events composed into nodes with marks, YAML 1.1 scalars, the
/// guards against hostile documents, and the decoder the config is read with.
@Suite(.timeLimit(.minutes(2))) struct YAMLTests {
    private func compose(_ text: String) throws(YAMLError) -> YAMLNode? { try YAMLComposer.compose(text) }

    private func failure(_ text: String, limits: YAMLComposer.Limits = .init()) -> YAMLError? {
        do {
            _ = try YAMLComposer.compose(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func nodesCarryOneBasedLinesAndColumns() throws {
        let root = try #require(try compose("listen:\n  host: 127.0.0.1\n  port: 8080\nchecks:\n  - { name: a }\n"))
        let listen = try #require(root.pair(forKey: "listen"))
        #expect(listen.key.mark == YAMLMark(line: 1, column: 1))
        let port = try #require(listen.value.pair(forKey: "port"))
        #expect(port.key.mark == YAMLMark(line: 3, column: 3))
        #expect(port.value.mark == YAMLMark(line: 3, column: 9))
        let entry = try #require(root.pair(forKey: "checks")?.value.sequence?.first)
        #expect(entry.mark == YAMLMark(line: 5, column: 5))
        #expect(entry.pair(forKey: "name")?.value.scalar?.text == "a")
    }

    @Test(arguments: [
        ("yes", true), ("On", true), ("TRUE", true), ("no", false), ("off", false), ("False", false),
    ])
    func plainBooleansFollowYAML11(text: String, value: Bool) throws {
        let scalar = try #require(try compose(text)?.scalar)
        #expect(scalar.bool == value)
    }

    @Test(arguments: [
        ("0644", 420), ("0x1F", 31), ("0o17", 15), ("0b101", 5), ("1_000", 1000), ("-42", -42), ("+7", 7), ("1:30", 90),
        ("0", 0),
    ])
    func plainIntegersFollowYAML11(text: String, value: Int) throws {
        #expect(try #require(try compose(text)?.scalar).integer == value)
    }

    @Test func numbersNullsAndQuotedTextResolveAsYAML11Says() throws {
        #expect(try compose(".inf")?.scalar?.double == .infinity)
        #expect(try compose("-.Inf")?.scalar?.double == -.infinity)
        #expect(try compose(".NaN")?.scalar?.double?.isNaN == true)
        #expect(try compose("2.5e3")?.scalar?.double == 2500)
        #expect(try compose("99999999999999999999:1")?.scalar?.integer == nil, "an overflow is no number, not a crash")
        for null in ["~", "null", "Null", "NULL", "key:"] {
            let node = try #require(try compose(null))
            #expect((node.scalar ?? node.mapping?.first?.value.scalar)?.isNull == true, "\(null)")
        }
        for quoted in ["'yes'", "\"0644\"", "'~'", "!!str 12", "|\n  true\n"] {
            let scalar = try #require(try compose(quoted)?.scalar)
            #expect(scalar.bool == nil && scalar.integer == nil && !scalar.isNull, "\(quoted) is text")
        }
    }

    @Test func aliasesShareTheAnchoredNodeAndMergeKeysMergeWithWrittenKeysWinning() throws {
        let root = try #require(
            try compose(
                """
                defaults: &defaults { timeout: 2, retries: 3 }
                extra: &extra { retries: 9, tls: true }
                db:
                  <<: [*defaults, *extra]
                  timeout: 5
                copy: *defaults
                """))
        let db = try #require(root.pair(forKey: "db")?.value)
        #expect(db.pair(forKey: "timeout")?.value.scalar?.text == "5", "a written key wins over a merged one")
        #expect(db.pair(forKey: "retries")?.value.scalar?.text == "3", "the first merged mapping wins")
        #expect(db.pair(forKey: "tls")?.value.scalar?.text == "true")
        #expect(db.pair(forKey: "<<") == nil)
        #expect(root.pair(forKey: "copy")?.value.pair(forKey: "retries")?.value.scalar?.text == "3")
    }

    @Test(arguments: [
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' (first at line 1, column 1)"),
        ("a: *nowhere\n", 1, 4, "alias '*nowhere' names no anchor"),
        ("a: 1\n---\nb: 2\n", 2, 1, "expected one YAML document"),
        ("? [a, b]\n: 1\n", 1, 3, "a mapping key must be a single value, found a list"),
        ("a: { <<: 3 }\n", 1, 6, "a merge key ('<<') takes a mapping or a list of mappings, found '3'"),
        ("a:\n  b: 1\n c: 2\n", 3, 2, "did not find expected key, while parsing a block mapping that starts at line 1, column 1"),
        ("a: [1, 2\n", 2, 1, "did not find expected ',' or ']', while parsing a flow sequence that starts at line 1, column 4"),
        ("a: 'open\n", 2, 1, "found unexpected end of stream"),
    ])
    func brokenDocumentsSayWhatAndWhere(text: String, line: Int, column: Int, message: String) throws {
        let error = try #require(failure(text))
        #expect(error.kind == .invalid)
        #expect(error.message.contains(message), "\(error)")
        #expect(error.mark == YAMLMark(line: line, column: column), "\(error)")
    }

    @Test func hostileDocumentsAreRefusedWithinTheirLimits() throws {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
        for (level, previous) in zip("bcdefghijklmnop", "abcdefghijklmno") {
            bomb += "\(level): &\(level) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
        }
        let tooLarge = try #require(failure(bomb))
        #expect(tooLarge.kind == .tooLarge(maximumNodes: 100_000))
        #expect(tooLarge.mark?.line == 6, "refused at the alias that passes the limit (in f, 9^6 values), never expanded")

        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(failure(deep)?.message == "lists and mappings nested deeper than 200 levels")
        #expect(failure("[[[1]]]", limits: .init(maximumDepth: 2))?.mark == YAMLMark(line: 1, column: 3))
        #expect(try compose("") == nil && compose("# only a comment\n") == nil)
    }

    @Test func theDecoderReadsTypesAndNamesWhatItFound() throws {
        struct Settings: Decodable, Equatable {
            let name: String
            let port: Int
            let ratio: Double
            let enabled: Bool
            let tags: [String]
            let limits: [String: UInt8]
            let note: String?
        }
        let node = try #require(
            try compose("name: 0644\nport: 0x50\nratio: 1_5.5\nenabled: on\ntags: [a, 2]\nlimits: { x: 255 }\nnote: ~\n"))
        let settings = try YAMLDecoder().decode(Settings.self, from: node)
        #expect(settings == Settings(name: "0644", port: 80, ratio: 15.5, enabled: true, tags: ["a", "2"], limits: ["x": 255], note: nil))

        let tooLarge = try #require(try compose("name: a\nport: 1\nratio: 1\nenabled: no\ntags: []\nlimits: { x: 256 }\n"))
        #expect(throws: DecodingError.self) { try YAMLDecoder().decode(Settings.self, from: tooLarge) }
        do {
            _ = try YAMLDecoder().decode(Settings.self, from: tooLarge)
        } catch DecodingError.typeMismatch(let type, let context) {
            #expect(type is UInt8.Type)
            #expect(context.codingPath.map(\.stringValue) == ["limits", "x"])
        }
    }

    @Test func mergeKeysAndDuplicateKeysReachTheConfigWithLines() throws {
        let yaml = """
            plugins:
              config:
                base: &base { host: db.internal, port: 5432 }
                replica: { <<: *base, host: replica.internal }
            """
        let config = try ConfigurationLoader.parse(yaml: yaml, file: "h.yaml", directory: "/etc").configuration
        #expect(config.plugins.config["replica"] == .map(["host": .string("replica.internal"), "port": .int(5432)]))

        #expect(throws: ConfigError.self) { try ConfigurationLoader.parse(yaml: "listen: {}\nlisten: {}\n", file: "h.yaml", directory: "/") }
        do {
            _ = try ConfigurationLoader.parse(yaml: "auth: { disabled: true }\nlisten:\n  port: 1\n  port: 2\n", file: "h.yaml", directory: "/")
        } catch {
            #expect(error.description == "h.yaml:4:3: not valid YAML: duplicate key 'port' (first at line 3, column 3)")
        }
    }

    @Test func aConfigFileThatIsNotUTF8NamesTheLine() throws {
        let path = TestPaths.temporaryDirectory("utf8") + "/healthhost.yaml"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("listen:\n  host: caf".utf8 + [0xE9] + Data("\n".utf8))))
        do {
            _ = try ConfigurationLoader.load(file: path)
            Issue.record("a Latin-1 byte was accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.message == "not UTF-8 text (YAML must be UTF-8)")
        }
    }
}
