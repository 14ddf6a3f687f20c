import Foundation

/// Where things are when the tests run.
enum TestPaths {
    /// The package root (this file is Tests/HealthHostTests/Support/TestPaths.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let include = packageRoot.appendingPathComponent("include").path
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/plugins").path
    static let corePluginSource = packageRoot.appendingPathComponent("Plugins/core/core.c").path

    /// The `healthhost` binary `swift test` built next to the test bundle.
    static var executable: String {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [
            bundle.appendingPathComponent("healthhost").path,
            packageRoot.appendingPathComponent(".build/debug/healthhost").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    /// A library product SwiftPM built next to the test bundle, e.g. `libsdktest-plugin.so`.
    static func builtLibrary(_ fileName: String) -> String {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [
            bundle.appendingPathComponent(fileName).path,
            packageRoot.appendingPathComponent(".build/debug/\(fileName)").path,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[1]
    }

    /// A new empty folder for one test.
    static func temporaryDirectory(_ label: String = "t") -> String {
        let path = NSTemporaryDirectory() + "healthhost-tests-\(getpid())/\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
