import HealthCore
import HealthOTLP
@testable import HealthTracing
import Testing

/// The catalog of check spans' constant fields is looked up by check name twice per traced
/// `/health/` request; its own hash table must find every check, and only its own fields.
@Suite(.timeLimit(.minutes(2))) struct CheckSpanCatalogTests {
    private func check(_ name: String) -> RegisteredCheck {
        RegisteredCheck(name: name, implementation: ClosureCheck(source: "test.\(name)") { _ in .pass("ok") })
    }

    /// Whether `fields` are those of the check `name`: they begin with the span name
    /// `check NAME` (field 5, its length, the UTF-8) followed by the kind (field 6).
    private func named(_ fields: EncodedSpanFields?, _ name: String) -> Bool {
        guard let fields else { return false }
        let text = Array("check \(name)".utf8)
        return Array(fields.bytes.prefix(text.count + 3)) == [0x2A, UInt8(text.count)] + text + [0x30]
    }

    @Test func everyCheckIsFoundWithItsOwnFieldsAndNoOtherName() {
        // Short (inline) and long (heap) names, some alike but for one byte, and more
        // checks than the table's first size, so probing wraps and collides.
        let names = (0..<150).map { "c\($0)" } + (0..<20).map { "a-check-with-a-long-name-number-\($0)" } + ["é-ü", ""]
        let catalog = CheckSpanCatalog(checks: names.map(check))
        for name in names {
            #expect(named(catalog.fields(of: name), name), "\(name)")
            // The same name, built anew (other storage), is found too.
            #expect(catalog.fields(of: String(decoding: Array(name.utf8), as: UTF8.self)) != nil, "\(name)")
        }
        for missing in ["c150", "c1 ", "C1", "a-check-with-a-long-name-number-20", "é"] {
            #expect(catalog.fields(of: missing) == nil, "\(missing)")
        }
        #expect(CheckSpanCatalog(checks: []).fields(of: "c1") == nil)
    }

    @Test func aNameGivenTwiceIsLeftOut() {
        let catalog = CheckSpanCatalog(checks: [check("db"), check("db"), check("cache")])
        #expect(catalog.fields(of: "db") == nil)
        #expect(named(catalog.fields(of: "cache"), "cache"))
    }
}
