import Foundation
import HealthCore
import HealthJSON
import Testing

/// The host's own JSON reader, `Decodable`/`Encodable` bridges, base64 and ISO 8601
/// timestamps (what replaced FoundationEssentials in the serving process), each checked
/// against Foundation's answer for the same input.
@Suite(.timeLimit(.minutes(2))) struct FoundationFreeCodingTests {
    // MARK: JSONParser

    @Test func parsesWhatJSONSerializationParses() throws {
        let documents = [
            #"{"a": [1, -2, 3.5, 1e3, -0.25E-2, true, false, null], "b": {"c": "d"}, "e": []}"#,
            #"  [ "\u00e9\ud83d\ude00", "tab\there", "\"quoted\" \\ \/ \b\f\n\r" ]  "#,
            #"9223372036854775807"#, #"-9223372036854775808"#, #"18446744073709551616"#, #""""#, "{}",
        ]
        for document in documents {
            let ours = try JSONParser.parse(document)
            let theirs = try JSONSerialization.jsonObject(with: Data(document.utf8), options: [.fragmentsAllowed])
            #expect(Self.same(ours, theirs), "\(document): \(ours) vs \(theirs)")
        }
        #expect(try JSONParser.parse(#"{"k": "\ud83d\ude00"}"#) == .object(["k": .string("😀")]))
        #expect(try JSONParser.parse("12") == .int(12))
        #expect(try JSONParser.parse("12.0") == .double(12))
    }

    @Test func badJSONIsRefusedWithTheOffsetAndWhatWasFound() {
        let cases: [(String, String)] = [
            ("", "JSON at byte 0: expected a value, found the end"),
            (#"{"a": 1,}"#, "JSON at byte 8: expected a key in quotes, found '}'"),
            ("[1 2]", "JSON at byte 3: expected ',' or ']', found '2'"),
            (#"{"a" 1}"#, "JSON at byte 5: expected ':' after the key, found '1'"),
            ("01", "JSON at byte 1: expected the end of the document, found '1'"),
            ("[1.]", "JSON at byte 3: expected a digit after '.', found ']'"),
            (#""abc"#, "JSON at byte 4: unterminated string, found the end"),
            ("\"a\u{01}\"", "JSON at byte 2: a control character in a string, found byte 0x1"),
            (#""\x""#, "JSON at byte 2: an invalid escape, found 'x'"),
            (#""\ud83d""#, "JSON at byte 7: a lone UTF-16 surrogate, found '\"'"),
            ("tru", "JSON at byte 0: expected a value, found 't'"),
            ("// comment\n1", "JSON at byte 0: expected a value, found '/'"),
        ]
        for (text, message) in cases {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONParser.parse(text) }
            do {
                _ = try JSONParser.parse(text)
            } catch {
                #expect(error.description == message, "\(text)")
            }
        }
        let invalidUTF8: [UInt8] = [0x22, 0xFF, 0x22]
        #expect(throws: JSONParseError.self) { try JSONParser.parse(invalidUTF8) }
    }

    @Test func nestingIsBoundedSoAPeerCannotExhaustTheStack() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try JSONParser.parse(deep)
            Issue.record("100,000 levels parsed")
        } catch {
            #expect(error.message.hasPrefix("nesting deeper than \(JSONParser.maximumDepth)"))
        }
        let allowed = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        _ = try JSONParser.parse(allowed)
    }

    // MARK: JSONValueDecoder

    private struct Settings: Decodable, Equatable {
        struct Limits: Decodable, Equatable {
            let warnPercent: Double
            let failPercent: Int
        }
        let minFreeMb: Int
        let name: String?
        let tags: [String]
        let limits: [Limits]
        let endpoint: URL
        let token: Data
        let since: Date
        let id: UUID
    }

    @Test func decodesWhatJSONDecoderDecodesWithTheSameDefaults() throws {
        let json = #"""
            {"min_free_mb": 42, "tags": ["a", "b"], "limits": [{"warn_percent": 10, "fail_percent": 5.0}],
             "endpoint": "https://example.test/health?x=1", "token": "aGVhbHRoaG9zdA==", "since": 1000.5,
             "id": "E621E1F8-C36C-495A-93FC-0C247A3E6E5F"}
            """#
        var ours = JSONValueDecoder()
        ours.keyDecoding = .convertFromSnakeCase
        let theirs = JSONDecoder()
        theirs.keyDecodingStrategy = .convertFromSnakeCase
        let decoded = try ours.decode(Settings.self, fromJSON: Array(json.utf8))
        #expect(decoded == (try theirs.decode(Settings.self, from: Data(json.utf8))))
        #expect(decoded.endpoint.host == "example.test")
        #expect(String(decoding: decoded.token, as: UTF8.self) == "healthhost")
        #expect(decoded.name == nil)
    }

    @Test func failuresAreTheStandardDecodingErrorsWithTheirCodingPath() throws {
        var decoder = JSONValueDecoder()
        decoder.keyDecoding = .convertFromSnakeCase
        func failure(_ json: String) -> DecodingError? {
            do {
                _ = try decoder.decode(Settings.Limits.self, fromJSON: Array(json.utf8))
                return nil
            } catch let error as DecodingError {
                return error
            } catch {
                return nil
            }
        }
        guard case .keyNotFound(let key, _)? = failure(#"{"warn_percent": 1}"#) else {
            Issue.record("no keyNotFound")
            return
        }
        #expect(key.stringValue == "failPercent")
        guard case .typeMismatch(let type, let context)? = failure(#"{"warn_percent": "lots", "fail_percent": 1}"#) else {
            Issue.record("no typeMismatch")
            return
        }
        #expect(type is Double.Type)
        #expect(context.codingPath.map(\.stringValue) == ["warnPercent"])
        guard case .valueNotFound? = failure(#"{"warn_percent": null, "fail_percent": 1}"#) else {
            Issue.record("no valueNotFound")
            return
        }
        guard case .dataCorrupted? = failure(#"{"warn_percent": 1, "fail_percent": 1.5}"#) else {
            Issue.record("1.5 became an Int")
            return
        }
        guard case .dataCorrupted? = failure(#"{"warn_percent": 1, "fail_percent": 99999999999999999999}"#) else {
            Issue.record("an out-of-range number became an Int")
            return
        }
        guard case .dataCorrupted? = failure("{") else {
            Issue.record("bad JSON was not dataCorrupted")
            return
        }
        #expect(throws: DecodingError.self) { try decoder.decode(Decimal.self, from: .double(1.5)) }
        #expect(throws: DecodingError.self) { try decoder.decode(Data.self, from: .string("not base64!")) }
    }

    // MARK: JSONValueEncoder

    private struct Frame: Codable, Equatable {
        var type: String
        var id: Int?
        var values: [String: String]?
        var entries: [[String]]?
        var ratio: Double?
        var big: UInt64?

        enum CodingKeys: String, CodingKey {
            case type, id, values, entries, ratio
            case big = "big_number"
        }
    }

    @Test func encodesWhatJSONEncoderEncodesAndReadsItBack() throws {
        let frame = Frame(type: "info_result", id: 7, values: ["a": "x\"y"], entries: [["k", "v"], []], ratio: 0.5, big: 3)
        let ours = try JSONValueEncoder().encode(frame)
        let theirs = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(frame))
        #expect(Self.same(ours, theirs), "\(ours) vs \(theirs)")
        #expect(try JSONValueDecoder().decode(Frame.self, fromJSON: Array(ours.text.utf8)) == frame)
        let sparse = try JSONValueEncoder().encode(Frame(type: "ready"))
        #expect(sparse == .object(["type": .string("ready")]), "nil optionals are left out")
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(UInt64.max) }
    }

    @Test func jsonTextEscapesWhatMustBeEscapedAndCopiesTheRest() throws {
        let values = [
            "plain", "", "a\"b", "back\\slash", "line\nbreak\t\r", "\u{01}\u{1f}", "é ünïcode 🚑",
            String(repeating: "x", count: 300),
        ]
        for value in values {
            var text = JSONText()
            text.string(value)
            let parsed = try JSONSerialization.jsonObject(with: Data(text.bytes), options: .fragmentsAllowed) as? String
            #expect(parsed == value, "\(String(decoding: text.bytes, as: UTF8.self))")
        }
        var text = JSONText()
        text.string("a\"b\u{01}")
        #expect(String(decoding: text.bytes, as: UTF8.self) == #""a\"b\u0001""#)
    }

    // MARK: Base64 and WallTime

    @Test func base64MatchesFoundationBothWays() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64.encode(bytes)
            #expect(encoded == Data(bytes).base64EncodedString())
            #expect(Base64.decode(encoded) == bytes)
        }
        for bad in ["a", "abc", "ab=c", "a===", "====", "ab c", "ab==ab=="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func iso8601TimestampsMatchFoundationsFormatter() throws {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let withoutFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        var moments: [Double] = [0, 0.999, 951_782_400, 1_709_164_800.5, 4_102_444_799.999, 1_798_761_600.001, -86_400.25]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { moments.append(Double.random(in: -2_000_000_000...5_000_000_000, using: &generator)) }
        for seconds in moments {
            // Four tenths into a millisecond: both sides truncate to the same one whatever
            // the rounding of the double (Foundation's goes through its 2001 epoch).
            let milliseconds = (seconds * 1000).rounded(.down) / 1000 + 0.0004
            let time = WallTime(timeIntervalSince1970: milliseconds)
            let date = Date(timeIntervalSince1970: milliseconds)
            #expect(time.iso8601(fractionalSeconds: true) == date.formatted(withFraction), "\(milliseconds)")
            #expect(time.iso8601() == date.formatted(withoutFraction), "\(milliseconds)")
        }
        let now = WallTime.now.timeIntervalSince1970
        #expect(abs(now - Date().timeIntervalSince1970) < 5)
    }

    /// A ``JSONValue`` against what `JSONSerialization` made of the same text.
    private static func same(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null: return theirs is NSNull
        case .bool(let flag): return (theirs as? Bool) == flag
        case .int(let integer): return (theirs as? NSNumber)?.int64Value == Int64(integer)
        case .double(let real): return (theirs as? NSNumber)?.doubleValue == real
        case .string(let text): return theirs as? String == text
        case .array(let items):
            guard let other = theirs as? [Any], other.count == items.count else { return false }
            return zip(items, other).allSatisfy { same($0, $1) }
        case .object(let members):
            guard let other = theirs as? [String: Any], Set(other.keys) == Set(members.keys) else { return false }
            return members.allSatisfy { key, value in other[key].map { same(value, $0) } ?? false }
        }
    }
}
