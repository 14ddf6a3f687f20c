import Foundation
import HealthCore
import HealthPluginLoader
import HealthSwiftVersion
import Logging
import NIOConcurrencyHelpers
import Testing

@Suite(.timeLimit(.minutes(2))) struct LoaderTests {
    let loader = PluginLoader(policy: .failFast, logger: TestHost.logger)

    private func loadError(_ paths: [String]) -> PluginLoadError? {
        do {
            _ = try loader.load(paths: paths) { _ in PluginSettings() }
            return nil
        } catch {
            return error
        }
    }

    @Test func loadsTheCorePluginWithItsDescriptor() async throws {
        let path = try await PluginCompiler.core()
        let set = try loader.load(paths: [path]) { _ in PluginSettings() }
        let core = try #require(set.plugin(named: "core"))
        #expect(core.descriptor.version == "1.0.0")
        #expect(core.descriptor.abiVersion == ABIVersion(major: 1, minor: 3))
        #expect(core.descriptor.checks.map(\.name) == ["true", "false"])
        #expect(core.descriptor.checks[0].isDefault && core.descriptor.checks[0].isThreadSafe)
        #expect(!core.descriptor.checks[1].isDefault)
        let sha = try await runOffThePool("/usr/bin/env", ["sha256sum", path]).output.split(separator: " ").first.map(String.init)
        #expect(core.sha256 == sha)
        let invocation = CheckInvocation(configuredName: "x", timeout: .seconds(1))
        #expect(core.implementation(of: "true")?.run(invocation).status == .pass)
        #expect(core.implementation(of: "false")?.run(invocation) == .fail("always fails"))
    }

    @Test func rejectsAnotherMajorABIVersionNamingBothVersions() async throws {
        let path = try await PluginCompiler.broken(["ABI_MAJOR_2"])
        let error = try #require(loadError([path]))
        #expect(error.code == .abiMismatch)
        #expect(error.description.contains(path))
        #expect(error.message.contains("plugin built for ABI 2.0, this host supports ABI 1.0 to 1.3"))
    }

    @Test func rejectsASwiftPluginBuiltByAnotherSwiftVersion() async throws {
        let plugin = try await PluginCompiler.broken(["SWIFT_VERSION=\"5.9\""], fileName: "hh-swift59.so")
        let error = try #require(loadError([plugin]))
        #expect(error.code == .swiftVersionMismatch)
        #expect(
            error.message
                == "plugin 'broken' was built with Swift 5.9, this host runs Swift \(SwiftRuntimeVersion.host); a Swift plugin "
                + "shares the host's Swift runtime, which has no stable ABI on Linux: rebuild the plugin with Swift "
                + "\(SwiftRuntimeVersion.host)")
        // The same version loads.
        let same = try await PluginCompiler.broken(["SWIFT_VERSION=\"\(SwiftRuntimeVersion.host)\""], fileName: "hh-swift-same.so")
        #expect(loadError([same]) == nil)
    }

    @Test func rejectsANewerMinorVersion() async throws {
        let plugin = try await PluginCompiler.broken(["ABI_NEWER_MINOR"])
        let error = try #require(loadError([plugin]))
        #expect(error.code == .abiMismatch)
        #expect(error.message.contains("ABI 1.5"))
        #expect(error.message.contains("upgrade healthhost"))
    }

    @Test func reportsAMissingEntrySymbol() async throws {
        let plugin = try await PluginCompiler.broken(["NO_ENTRY"])
        let error = try #require(loadError([plugin]))
        #expect(error.code == .entrySymbolMissing)
        #expect(error.message.contains("does not export hh_plugin_entry_v1"))
    }

    @Test func reportsAnEntryThatReturnsNull() async throws {
        let plugin = try await PluginCompiler.broken(["NULL_ENTRY"])
        let error = try #require(loadError([plugin]))
        #expect(error.code == .entryReturnedNull)
    }

    @Test func reportsAFileThatIsNotASharedLibrary() throws {
        let folder = TestPaths.temporaryDirectory("notelf")
        let path = "\(folder)/hh-text.so"
        try "just text\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(loadError([path]))
        #expect(error.code == .notASharedLibrary)
        #expect(error.description.contains(path))
        #expect(error.message.contains("cannot be loaded as a shared library"))
    }

    @Test func reportsAMissingFile() throws {
        let error = try #require(loadError(["/nonexistent/hh-x.so"]))
        #expect(error.code == .fileNotFound)
        #expect(error.path == "/nonexistent/hh-x.so")
    }

    @Test func rejectsDuplicatePluginNamesNamingBothFiles() async throws {
        let first = try await PluginCompiler.core(fileName: "hh-core-a.so")
        let second = try await PluginCompiler.core(fileName: "hh-core-b.so")
        let error = try #require(loadError([first, second]))
        #expect(error.code == .duplicatePluginName)
        #expect(error.path == second)
        #expect(error.message.contains(first))
    }

    @Test func reportsAFailingInitWithThePluginsOwnMessage() async throws {
        let plugin = try await PluginCompiler.broken(["INIT_FAILS"])
        let error = try #require(loadError([plugin]))
        #expect(error.code == .initFailed)
        #expect(error.message == "init failed: cannot reach db.internal:5432")
    }

    @Test(arguments: [
        (["PLUGIN_NAME=\"Bad Name\""], "name 'Bad Name' contains 'B'"),
        (["CHECK_NAME=\"ok!\""], "checks[0].name 'ok!' contains '!'"),
        (["PLUGIN_NAME=\"\""], "name '' is empty"),
        (["DUPLICATE_CHECK"], "check name 'ok' is used twice"),
        (["UNKNOWN_FLAG"], "unknown flag bits 0x80"),
        (["SMALL_STRUCT"], "struct_size is 8, expected at least"),
    ])
    func rejectsInvalidDescriptors(defines: [String], expected: String) async throws {
        let fileName = "hh-broken-\(abs(defines.joined().hashValue)).so"
        let plugin = try await PluginCompiler.broken(defines, fileName: fileName)
        let error = try #require(loadError([plugin]))
        #expect(error.code == .invalidDescriptor)
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test func rejectsNamesLongerThan64Bytes() async throws {
        let long = String(repeating: "a", count: 65)
        let plugin = try await PluginCompiler.broken(["PLUGIN_NAME=\"\(long)\""], fileName: "hh-long.so")
        let error = try #require(loadError([plugin]))
        #expect(error.message.contains("is 65 bytes long (at most 64 allowed)"))
    }

    @Test func folderLoadsOnlyHhPrefixedSharedLibraries() async throws {
        let folder = TestPaths.temporaryDirectory("folder")
        try FileManager.default.copyItem(atPath: try await PluginCompiler.core(), toPath: "\(folder)/libhh-core.so")
        try FileManager.default.copyItem(atPath: try await PluginCompiler.testkit(), toPath: "\(folder)/hh-testkit.so")
        // Not plugins by name: a helper library and a README, both left alone.
        try FileManager.default.copyItem(atPath: try await PluginCompiler.broken(["NO_ENTRY"]), toPath: "\(folder)/libhelper.so")
        try "docs".write(toFile: "\(folder)/README", atomically: true, encoding: .utf8)
        #expect(try PluginDiscovery.files(at: folder) == ["\(folder)/hh-testkit.so", "\(folder)/libhh-core.so"])
        let set = try loader.load(paths: [folder]) { _ in PluginSettings() }
        #expect(set.plugins.map(\.name) == ["testkit", "core"])
    }

    @Test func aSymlinkedPluginLoadsAndABrokenLinkIsReportedNotSkipped() async throws {
        let folder = TestPaths.temporaryDirectory("links")
        try FileManager.default.copyItem(atPath: try await PluginCompiler.core(), toPath: "\(folder)/hh-core-1.0.so")
        // The usual deployment: a stable name linking to the installed version.
        try FileManager.default.createSymbolicLink(atPath: "\(folder)/hh-core.so", withDestinationPath: "hh-core-1.0.so")
        try FileManager.default.createSymbolicLink(atPath: "\(folder)/hh-db.so", withDestinationPath: "hh-db-2.1.so")
        #expect(try PluginDiscovery.files(at: folder) == ["\(folder)/hh-core-1.0.so", "\(folder)/hh-core.so", "\(folder)/hh-db.so"])

        let error = try #require(loadError(["\(folder)/hh-core.so", "\(folder)/hh-db.so"]))
        #expect(error.code == .fileNotFound)
        #expect(error.path == "\(folder)/hh-db.so")
        #expect(error.message == "is a symbolic link to 'hh-db-2.1.so', which does not exist (or links in a loop)")

        let set = try PluginLoader(policy: .skipBroken, logger: TestHost.logger)
            .load(paths: ["\(folder)/hh-core.so", "\(folder)/hh-db.so"]) { _ in PluginSettings() }
        #expect(set.plugins.map(\.name) == ["core"])
        #expect(set.broken.map(\.error.path) == ["\(folder)/hh-db.so"])
    }

    @Test func skipPolicyLoadsTheGoodAndListsTheBroken() async throws {
        let skipping = PluginLoader(policy: .skipBroken, logger: TestHost.logger)
        let bad = try await PluginCompiler.broken(["ABI_MAJOR_2"])
        let set = try skipping.load(paths: [try await PluginCompiler.core(), bad, "/nonexistent"]) { _ in PluginSettings() }
        #expect(set.plugins.map(\.name) == ["core"])
        #expect(set.broken.map(\.path) == ["/nonexistent", bad])
        #expect(set.broken.map(\.error.code) == [.fileNotFound, .abiMismatch])
    }

    @Test func initReceivesItsConfigAndTheHostTableWorks() async throws {
        let recorder = LogRecorder()
        let logger = Logger(label: "test") { _ in recorder }
        let set = try PluginLoader(policy: .failFast, logger: logger).load(paths: [try await PluginCompiler.testkit(fileName: "hh-testkit-config.so")]
        ) { name in
            #expect(name == "testkit")
            return PluginSettings(json: #"{"greeting":"hi"}"#, scalars: ["greeting": "hi", "nested.level": "3"])
        }
        let check = try #require(set.plugin(named: "testkit")?.implementation(of: "config"))
        let result = check.run(CheckInvocation(configuredName: "cfg", timeout: .seconds(1)))
        #expect(result.message == #"greeting=hi nested=3 json={"greeting":"hi"}"#)
        let lines = recorder.messages
        #expect(lines.contains("testkit initialised on healthhost 0.1.0"))
        #expect(lines.contains("config check ran for cfg"))
        #expect(recorder.metadataList.contains { $0["plugin.name"] == "testkit" })
    }
}

/// Collects log messages.
final class LogRecorder: LogHandler, @unchecked Sendable {
    private let records = NIOLockedValueBox<[(String, [String: String])]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata.mapValues { "\($0)" }
        for (key, value) in event.metadata ?? [:] { all[key] = "\(value)" }
        records.withLockedValue { $0.append(("\(event.message)", all)) }
    }

    var messages: [String] { records.withLockedValue { $0.map(\.0) } }
    var metadataList: [[String: String]] { records.withLockedValue { $0.map(\.1) } }
}
