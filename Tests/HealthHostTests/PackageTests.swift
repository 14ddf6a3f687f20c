import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `scripts/package`: the .deb installs with `dpkg -i` on this machine, its binary runs
/// from the bundled Swift runtime (not the toolchain's), serves the installed config
/// with the bundled plugins, and `dpkg -P` removes every trace. It installs a package
/// and reads the root-owned secret, so it runs as root (CI's user; scripts/setup needs
/// root or sudo anyway) and is left out for a developer running the tests unprivileged.
@Suite(.serialized, .enabled(if: getuid() == 0, "installs a system package: run the tests as root (CI does)"))
struct PackageTests {
    private let root = TestPaths.packageRoot.path

    /// `arguments` through the shared ``runOffThePool(_:_:environment:)``; a failure is
    /// an issue unless `allowFailure`.
    @discardableResult
    private func command(_ arguments: [String], allowFailure: Bool = false) async throws -> (status: Int32, output: String) {
        let result = try await runOffThePool("/usr/bin/env", arguments)
        if !allowFailure { #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.output)") }
        return result
    }

    @Test func theDebInstallsRunsFromItsOwnRuntimeAndPurgesCleanly() async throws {
        let output = TestPaths.temporaryDirectory("package")
        let built = try await command(["\(root)/scripts/package", "--configuration", "debug", "--output", output, "--fast", "--no-build"])
        let deb = try #require(built.output.split(separator: "\n").last.map(String.init))
        #expect(deb.hasSuffix(".deb"))
        defer { _ = try? run("/usr/bin/env", ["dpkg", "-P", "healthhost"]) }  // also after a failed test

        let info = try await command(["dpkg-deb", "--info", deb]).output
        for dependency in ["libcurl4", "libpq5", "libmariadb3", "libffi8", "libnettle8", "adduser"] {
            #expect(info.contains(dependency), "Depends lacks \(dependency): \(info)")
        }
        let contents = try await command(["dpkg-deb", "--contents", deb]).output
        for path in [
            "./usr/bin/healthhost", "./usr/lib/healthhost/plugins/libhh-net.so", "./usr/lib/healthhost/plugins/libhh-system.so",
            "./usr/lib/healthhost/swift/libswiftCore.so", "./etc/healthhost/healthhost.yaml", "./lib/systemd/system/healthhost.service",
        ] {
            #expect(contents.contains(path), "\(path) is not in the package")
        }

        try await command(["dpkg", "-i", deb])
        // The binary and the Swift plugin load the bundled runtime, never the toolchain's.
        for binary in ["/usr/bin/healthhost", "/usr/lib/healthhost/plugins/libhh-system.so"] {
            let libraries = try await command(["ldd", binary]).output
            #expect(!libraries.contains("/opt/swift"), "\(binary): \(libraries)")
            #expect(libraries.contains("/usr/lib/healthhost/swift/libswiftCore.so"), "\(binary): \(libraries)")
        }
        // The install made the user and a secret only it (and root) can read.
        #expect(try await command(["getent", "passwd", "healthhost"]).status == 0)
        var secretInfo = stat()
        #expect(stat("/etc/healthhost/secret", &secretInfo) == 0)
        #expect(secretInfo.st_mode & 0o777 == 0o640)
        let unit = try String(contentsOfFile: "/lib/systemd/system/healthhost.service", encoding: .utf8)
        for setting in ["User=healthhost", "NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet="] {
            #expect(unit.contains(setting))
        }

        #expect(try await command(["/usr/bin/healthhost", "validate", "--config", "/etc/healthhost/healthhost.yaml"]).output.contains("OK (2 plugin(s), 3 check(s), 5 unused plugin(s) not started)"))
        let port = try freePort()
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: "/usr/bin/healthhost")
        serve.arguments = ["serve", "--config", "/etc/healthhost/healthhost.yaml", "--port", "\(port)"]
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try ProcessLaunch.run(serve)
        defer {
            kill(serve.processIdentifier, SIGKILL)
            serve.waitUntilExit()
        }
        let secret = try String(contentsOfFile: "/etc/healthhost/secret", encoding: .utf8)
        #expect(await eventually(within: .seconds(15)) {
            (try? await RawHTTPClient.request(port: port, "GET", "/livez"))?.status == 200
        })
        let health = try await RawHTTPClient.request(port: port, "GET", "/health/?checks=alive", headers: ["Authorization": "Bearer \(secret)"])
        #expect(health.status == 200 && health.body.contains(#""alive":true"#), "\(health.body)")
        let plugins = try await RawHTTPClient.request(port: port, "GET", "/metrics", headers: ["Authorization": "Bearer \(secret)"])
        #expect(plugins.body.contains(#"healthhost_plugin_info{plugin="system""#))
        kill(serve.processIdentifier, SIGKILL)

        try await command(["dpkg", "-r", "healthhost"])
        #expect(!FileManager.default.fileExists(atPath: "/usr/bin/healthhost"))
        #expect(FileManager.default.fileExists(atPath: "/etc/healthhost/healthhost.yaml"))  // a conffile stays until purge
        try await command(["dpkg", "-P", "healthhost"])
        for path in ["/etc/healthhost", "/usr/lib/healthhost", "/lib/systemd/system/healthhost.service"] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) is left after purge")
        }
        #expect(try await command(["getent", "passwd", "healthhost"], allowFailure: true).status != 0)
        #expect(try await command(["dpkg", "-s", "healthhost"], allowFailure: true).status != 0)
    }
}
