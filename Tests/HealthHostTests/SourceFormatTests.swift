import Foundation
import Testing

/// The tree stays formatted by the committed `.swift-format` (4-space indents, lines up to
/// 150 columns): `swift format lint --strict` over every Swift file finds nothing. After an
/// edit, `swift format format -i -r --parallel Sources Tests Plugins bench
/// Examples/swift-plugin Package.swift` puts it right.
@Suite(.timeLimit(.minutes(2))) struct SourceFormatTests {
    static let formatted = ["Sources", "Tests", "Plugins", "bench", "Examples/swift-plugin", "Package.swift"]

    @Test func everySwiftFileIsFormattedAsTheConfigurationSays() async throws {
        let root = TestPaths.packageRoot.path
        let result = try await runOffThePool(
            "/usr/bin/env", ["swift-format", "lint", "--strict", "--recursive", "--parallel"] + Self.formatted.map { root + "/" + $0 })
        #expect(result.status == 0, "swift-format lint found:\n\(result.output)")
    }

    /// The same lint reports a file that breaks the configuration (so the test above can fail).
    @Test func theLintReportsAnUnformattedFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hh-format-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            at: TestPaths.packageRoot.appendingPathComponent(".swift-format"), to: folder.appendingPathComponent(".swift-format"))
        try "let a = [1,2]\n  func f() {}\n".write(to: folder.appendingPathComponent("Bad.swift"), atomically: true, encoding: .utf8)
        let result = try await runOffThePool("/usr/bin/env", ["swift-format", "lint", "--strict", "--recursive", folder.path])
        #expect(result.status != 0)
        #expect(result.output.contains("Bad.swift"), "\(result.output)")
    }
}
