import Foundation
import HealthHostApp
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Which files the host opens at all (`plugins.trust`, `plugins.allowed_digests`), and
/// inputs that used to hang start-up: a FIFO in `plugins.paths`, an `init` that never
/// returns in-process.
@Suite(.timeLimit(.minutes(2))) struct PluginTrustTests {
    /// A copy of the core plugin in a folder of its own, for changing its mode and owner.
    private func privateCore(_ name: String) async throws -> (file: String, folder: String) {
        let folder = TestPaths.temporaryDirectory("trust-\(name)")
        let file = folder + "/hh-core.so"
        try FileManager.default.copyItem(atPath: try await PluginCompiler.core(), toPath: file)
        chmod(file, 0o755)
        chmod(folder, 0o755)
        return (file, folder)
    }

    private func startupError(_ yaml: String) async throws -> String? {
        try await offThePool { () -> String? in
            do {
                let app = try TestHost.build(yaml: yaml)
                app.shutdown()
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    @Test func aPluginFileWritableByOthersIsRefusedNamingTheRule() async throws {
        let (file, _) = try await privateCore("file-mode")
        chmod(file, 0o666)
        let error = try #require(try await startupError(hostYAML(plugins: [file])))
        #expect(error.contains("plugin \(file): the file is writable by group or others (mode 666)"), "\(error)")
        #expect(error.contains("chmod go-w \(file)"))
        // relaxed, for development, loads it.
        let relaxed = hostYAML(plugins: [file]).replacingOccurrences(of: "plugins:\n", with: "plugins:\n  trust: relaxed\n")
        #expect(try await startupError(relaxed) == nil)
    }

    @Test func aFolderWritableByOthersIsRefused() async throws {
        let (file, folder) = try await privateCore("folder-mode")
        chmod(folder, 0o777)
        let error = try #require(try await startupError(hostYAML(plugins: [folder])))
        #expect(error.contains("plugin \(file): its folder \(folder) is writable by group or others (mode 777)"), "\(error)")
    }

    @Test func aPluginOwnedByAnotherUserIsRefused() async throws {
        let (file, _) = try await privateCore("owner")
        try #require(chown(file, 4242, 4242) == 0, "changing a file's owner needs root, as CI and the dev machines run")
        let error = try #require(try await startupError(hostYAML(plugins: [file])))
        #expect(error.contains("the file is owned by uid 4242, neither root nor healthhost's own user (uid \(geteuid()))"), "\(error)")
    }

    @Test func withAllowedDigestsOnlyPinnedFilesLoad() async throws {
        let (file, _) = try await privateCore("digest")
        let listing = try await runOffThePool("/usr/bin/sha256sum", [file])
        let digest = String(listing.output.prefix(64))
        let pinned = hostYAML(plugins: [file])
            .replacingOccurrences(of: "plugins:\n", with: "plugins:\n  allowed_digests: [\(digest)]\n")
        #expect(try await startupError(pinned) == nil)
        let other = String(repeating: "ab", count: 32)
        let refused = hostYAML(plugins: [file])
            .replacingOccurrences(of: "plugins:\n", with: "plugins:\n  allowed_digests: [\(other)]\n")
        let error = try #require(try await startupError(refused))
        #expect(error.contains("plugin \(file): its SHA-256 \(digest) is not in plugins.allowed_digests (1 digest(s) allowed)"), "\(error)")
        let malformed = hostYAML(plugins: [file])
            .replacingOccurrences(of: "plugins:\n", with: "plugins:\n  allowed_digests: [abc]\n")
        #expect(try #require(try await startupError(malformed)).contains("plugins.allowed_digests[0]: expected a SHA-256 digest"))
    }

    @Test func aFIFOInThePluginPathsIsRefusedInsteadOfHangingStartUp() async throws {
        let folder = TestPaths.temporaryDirectory("fifo")
        let fifo = folder + "/hh-pipe.so"
        #expect(mkfifo(fifo, 0o644) == 0)
        let started = ContinuousClock.now
        for paths in [[fifo], [folder]] {
            let error = try #require(try await startupError(hostYAML(plugins: paths)))
            #expect(error.contains("plugin \(fifo): is not a regular file (it is a FIFO); only regular files are opened"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(30), "a hang, not a slow machine")
    }

    @Test func anInProcessInitThatNeverReturnsIsALoadErrorAfterTheTimeout() async throws {
        let plugin = try await PluginCompiler.crashkit(fileName: "hh-crashkit-inprocess.so")
        let yaml = hostYAML(
            plugins: [plugin], pluginConfig: "{ crashkit: { init: hang } }",
            checks: "  - { name: ok, plugin: crashkit, check: ok }"
        ).replacingOccurrences(of: "plugins:\n", with: "plugins:\n  init_timeout: 0.3\n")
        let started = ContinuousClock.now
        let error = try #require(try await startupError(yaml))
        #expect(error.contains("plugin \(plugin): init did not return within 300 ms"), "\(error)")
        #expect(ContinuousClock.now - started < .seconds(30), "a hang, not a slow machine")
    }
}
