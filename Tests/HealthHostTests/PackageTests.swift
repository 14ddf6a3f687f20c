import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `scripts/package`: the split into healthhost, healthhost-plugin-{net,postgres,mysql},
/// healthhost-swift-plugin-runtime and healthhost-dev, as a Debian user gets it.
/// lintian finds no error in any package; the host package depends on no library of
/// the plugins split off, and installed alone with `dpkg -i` on this machine it
/// validates and serves its config from its own Swift runtime; each plugin package adds
/// its plugin; a C plugin builds with `cc $(pkg-config --cflags healthhost)` and loads;
/// a Swift plugin built from Examples/swift-plugin loads with the toolchain hidden once
/// healthhost-swift-plugin-runtime is installed; the man pages are installed, render
/// without warnings and cover every command, option and config key; `dpkg -P` removes
/// every trace (files, user, group, secret, unit links).
///
/// It installs system packages, so it runs as root (CI's user; scripts/setup needs root
/// or sudo anyway) and is left out for a developer running the tests unprivileged.
/// About 35 s here: building the packages ~13 s, the install test ~20 s (`dpkg -i
/// healthhost` with man-db's trigger ~6 s), and lintian's ~15 s run meanwhile.
@Suite(
    .serialized, .timeLimit(.minutes(4)),
    .enabled(if: getuid() == 0, "installs system packages: run the tests as root (CI does)"))
struct PackageTests {
    static let packageNames = [
        "healthhost", "healthhost-plugin-net", "healthhost-plugin-postgres", "healthhost-plugin-mysql",
        "healthhost-swift-plugin-runtime", "healthhost-dev",
    ]

    /// The .debs `scripts/package` builds from the debug build `swift test` made, once per
    /// run: package name to path.
    static let debs = Task<[String: String], any Error> {
        let output = TestPaths.temporaryDirectory("package")
        let built = try await runOffThePool(
            "\(TestPaths.packageRoot.path)/scripts/package",
            ["--configuration", "debug", "--output", output, "--fast", "--no-build"])
        guard built.status == 0 else { throw PackageError("scripts/package failed:\n\(built.output)") }
        var debs: [String: String] = [:]
        for line in built.output.split(separator: "\n") where line.hasSuffix(".deb") {
            let path = String(line)
            let name = String((path as NSString).lastPathComponent.prefix { $0 != "_" })
            debs[name] = path
        }
        return debs
    }

    /// lintian over every .deb, started by the install test so that its ~15 s overlap the
    /// installs, and awaited by it (no lintian outlives the run) and by the lintian test.
    static let lintian = Task<(status: Int32, output: String), any Error> {
        let built = try await PackageTests.debs.value
        return try await runOffThePool(
            "/usr/bin/env",
            ["lintian", "--tag-display-limit", "0", "--fail-on", "error", "--show-overrides"]
                + packageNames.compactMap { built[$0] })
    }

    /// `arguments` through the shared ``runOffThePool(_:_:environment:)``; a failure is
    /// an issue unless `allowFailure`.
    @discardableResult
    private func command(_ arguments: [String], allowFailure: Bool = false) async throws -> (status: Int32, output: String) {
        let result = try await runOffThePool("/usr/bin/env", arguments)
        if !allowFailure { #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.output)") }
        return result
    }

    @discardableResult
    private func shell(_ script: String, allowFailure: Bool = false) async throws -> (status: Int32, output: String) {
        try await command(["sh", "-c", script], allowFailure: allowFailure)
    }

    /// The packages by name, every one of them built.
    private func builtDebs() async throws -> [String: String] {
        let debs = try await Self.debs.value
        try #require(Set(debs.keys) == Set(Self.packageNames), "scripts/package printed \(debs)")
        return debs
    }

    private func field(_ name: String, of deb: String) async throws -> String {
        try await command(["dpkg-deb", "--field", deb, name]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `Depends` as package names (version constraints dropped).
    private func dependencies(of deb: String) async throws -> Set<String> {
        let depends = try await field("Depends", of: deb)
        return Set(depends.split(separator: ",").map { $0.split(separator: " ").first.map(String.init) ?? "" })
    }

    /// `dpkg-deb --contents`: path (without the leading `.`) to `(mode, owner)`.
    private func contents(of deb: String) async throws -> [String: (mode: String, owner: String)] {
        var files: [String: (mode: String, owner: String)] = [:]
        for line in try await command(["dpkg-deb", "--contents", deb]).output.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 6 else { continue }
            files[String(columns[5].dropFirst())] = (String(columns[0]), String(columns[1]))
        }
        return files
    }

    // MARK: - The packages as files

    @Test func eachPackageDependsOnlyOnWhatItsFilesLink() async throws {
        let debs = try await builtDebs()
        let version = try await field("Version", of: try #require(debs["healthhost"]))
        #expect(version.hasSuffix("-1"), "a Debian revision: \(version)")

        // The host: what the binary and its four plugins link, nothing of the split plugins'.
        let host = try await dependencies(of: try #require(debs["healthhost"]))
        for library in ["adduser", "libc6", "libffi8", "libnettle8", "libyaml-0-2", "zlib1g"] {
            #expect(host.contains(library), "healthhost Depends lacks \(library): \(host)")
        }
        for library in ["libpq5", "libmariadb3", "libcurl4"] {
            #expect(!host.contains(library), "healthhost Depends on \(library): \(host)")
        }
        let suggests = try await field("Suggests", of: try #require(debs["healthhost"]))
        #expect(suggests.contains("healthhost-plugin-postgres") && suggests.contains("healthhost-swift-plugin-runtime"), "\(suggests)")

        // Each split plugin: its library, and exactly this healthhost (whose runtime it shares).
        for (plugin, library) in [("net", "libcurl4"), ("postgres", "libpq5"), ("mysql", "libmariadb3")] {
            let deb = try #require(debs["healthhost-plugin-\(plugin)"])
            let depends = try await field("Depends", of: deb)
            #expect(depends.contains("healthhost (= \(version))"), "\(plugin): \(depends)")
            #expect(try await dependencies(of: deb).contains(library), "\(plugin): \(depends)")
            #expect(try await contents(of: deb)["/usr/lib/healthhost/plugins/libhh-\(plugin).so"] != nil)
        }
        #expect(try await field("Depends", of: try #require(debs["healthhost-swift-plugin-runtime"])).contains("healthhost (= \(version))"))
        #expect(try await field("Architecture", of: try #require(debs["healthhost-dev"])) == "all")

        // Every package: the Debian docs, the control fields, md5sums, root-owned files with
        // plain modes (0755 for folders and the one executable, 0644 for the rest).
        for name in Self.packageNames {
            let deb = try #require(debs[name])
            let files = try await contents(of: deb)
            for doc in ["copyright", "changelog.Debian.gz"] {
                #expect(files["/usr/share/doc/\(name)/\(doc)"] != nil, "\(name) has no \(doc)")
            }
            for (path, file) in files {
                #expect(file.owner == "root/root", "\(name): \(path) is owned by \(file.owner)")
                let expected = path.hasSuffix("/") || path == "/usr/bin/healthhost" ? "rwxr-xr-x" : "rw-r--r--"
                #expect(file.mode.dropFirst() == expected, "\(name): \(path) has mode \(file.mode)")
            }
            for name in ["Maintainer", "Section", "Priority", "Description", "Installed-Size"] {
                #expect(try await !field(name, of: deb).isEmpty, "\(deb) has no \(name)")
            }
            #expect(try await command(["dpkg-deb", "--info", deb]).output.contains(" md5sums"), "\(name) has no md5sums")
        }
        let hostFiles = try await contents(of: try #require(debs["healthhost"]))
        for path in [
            "/usr/bin/healthhost", "/usr/lib/healthhost/plugins/libhh-core.so", "/usr/lib/healthhost/plugins/libhh-system.so",
            "/usr/lib/healthhost/plugins/libhh-nagios.so", "/usr/lib/healthhost/plugins/libhh-redis.so",
            "/usr/lib/healthhost/bundled-plugins.sha256", "/usr/lib/healthhost/swift/libswiftCore.so",
            "/etc/healthhost/healthhost.yaml", "/lib/systemd/system/healthhost.service",
            "/usr/share/man/man1/healthhost.1.gz", "/usr/share/man/man5/healthhost.yaml.5.gz",
            "/usr/share/doc/healthhost/healthhost.service.d-example.conf",
        ] {
            #expect(hostFiles[path] != nil, "\(path) is not in healthhost")
        }
        for plugin in ["net", "postgres", "mysql"] {
            #expect(hostFiles["/usr/lib/healthhost/plugins/libhh-\(plugin).so"] == nil, "libhh-\(plugin).so is in healthhost")
        }
        let runtime = try await contents(of: try #require(debs["healthhost-swift-plugin-runtime"]))
        #expect(runtime["/usr/lib/healthhost/swift/libFoundationEssentials.so"] != nil)
        #expect(Set(runtime.keys).isDisjoint(with: hostFiles.keys.filter { !$0.hasSuffix("/") }), "files in both packages")
        let dev = try await contents(of: try #require(debs["healthhost-dev"]))
        #expect(dev["/usr/include/healthhost/healthhost_plugin.h"] != nil && dev["/usr/share/pkgconfig/healthhost.pc"] != nil)
    }

    // MARK: - Installed on this machine

    @Test func theHostAloneServesAndEachSplitPackageAddsWhatItShips() async throws {
        let debs = try await builtDebs()
        let lintian = Self.lintian  // starts it
        let toolchain = try await toolchainFolder()
        // From a clean slate (a run killed half-way leaves them), and clean after a failure.
        _ = try await command(["dpkg", "--purge"] + Self.packageNames.reversed(), allowFailure: true)
        defer { _ = try? run("/usr/bin/env", ["dpkg", "--purge"] + Self.packageNames.reversed()) }
        let started = ContinuousClock.now

        // healthhost alone: the user, the secret, the unit enabled (systemd does not run
        // here, so nothing starts), the binary on its own runtime.
        try await command(["dpkg", "-i", try #require(debs["healthhost"])])
        print("dpkg -i healthhost: \(ContinuousClock.now - started)")
        #expect(try await command(["getent", "passwd", "healthhost"]).status == 0)
        var secretInfo = stat()
        #expect(stat("/etc/healthhost/secret", &secretInfo) == 0)
        #expect(secretInfo.st_mode & 0o777 == 0o640 && secretInfo.st_uid == 0)
        #expect(try await command(["getent", "group", "healthhost"]).output.hasPrefix("healthhost:x:\(secretInfo.st_gid):"))
        #expect(FileManager.default.fileExists(atPath: "/etc/systemd/system/multi-user.target.wants/healthhost.service"))
        for binary in ["/usr/bin/healthhost", "/usr/lib/healthhost/plugins/libhh-system.so"] {
            let libraries = try await command(["ldd", binary]).output
            #expect(!libraries.contains("not found") && !libraries.contains(toolchain), "\(binary): \(libraries)")
            #expect(libraries.contains("/usr/lib/healthhost/swift/libswiftCore.so"), "\(binary): \(libraries)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/usr/lib/healthhost/plugins/libhh-postgres.so"))

        #expect(
            try await command(["/usr/bin/healthhost", "validate", "--config", "/etc/healthhost/healthhost.yaml"]).output
                .contains("OK (2 plugin(s), 3 check(s), 2 unused plugin(s) not started)"))
        let plugins = try await command(["/usr/bin/healthhost", "plugins", "--config", "/etc/healthhost/healthhost.yaml"]).output
        #expect(plugins.contains("\nredis ") && !plugins.contains("\nnet ") && !plugins.contains("\nbroken:"), "\(plugins)")
        // The digest manifest matches the installed files: the bundled plugins the config
        // uses run in the host process (a file it does not list would be third-party).
        for plugin in ["core", "system"] {
            let runs = ("\n" + plugins).components(separatedBy: "\n\(plugin) ").dropFirst().first?.split(separator: "\n").first {
                $0.hasPrefix("  runs:")
            }
            #expect(runs?.contains("in the host process") == true && runs?.contains("bundled") == true, "\(plugin): \(plugins)")
        }
        try await servesTheInstalledConfig()
        try await manPagesAreInstalledAndComplete()

        // healthhost-dev: a third-party C plugin built with pkg-config's flags alone.
        try await command(["dpkg", "-i", try #require(debs["healthhost-dev"])])
        try await aCPluginBuildsWithPkgConfigAndLoads()

        // healthhost-swift-plugin-runtime: what a Swift plugin from the template needs.
        try await aSwiftPluginFromTheTemplateLoadsWithoutTheToolchain(
            runtime: try #require(debs["healthhost-swift-plugin-runtime"]), toolchain: toolchain)

        // The split plugins: each adds its file, found by the same config.
        try await command(["dpkg", "-i"] + ["net", "postgres", "mysql"].compactMap { debs["healthhost-plugin-\($0)"] })
        #expect(
            try await command(["/usr/bin/healthhost", "validate", "--config", "/etc/healthhost/healthhost.yaml"]).output
                .contains("OK (2 plugin(s), 3 check(s), 5 unused plugin(s) not started)"))
        let all = try await command(["/usr/bin/healthhost", "plugins", "--config", "/etc/healthhost/healthhost.yaml"]).output
        for plugin in ["net", "postgres", "mysql"] {
            #expect(all.contains("/usr/lib/healthhost/plugins/libhh-\(plugin).so"), "\(all)")
        }
        try await command(["dpkg", "-r", "healthhost-plugin-net"])
        #expect(!FileManager.default.fileExists(atPath: "/usr/lib/healthhost/plugins/libhh-net.so"))

        // Removed, the conffile stays; purged, nothing does.
        try await command(["dpkg", "-r"] + Self.packageNames.reversed())
        #expect(!FileManager.default.fileExists(atPath: "/usr/bin/healthhost"))
        #expect(FileManager.default.fileExists(atPath: "/etc/healthhost/healthhost.yaml"))
        try await command(["dpkg", "-P"] + Self.packageNames.reversed())
        for path in [
            "/etc/healthhost", "/usr/lib/healthhost", "/usr/include/healthhost", "/usr/share/pkgconfig/healthhost.pc",
            "/lib/systemd/system/healthhost.service", "/etc/systemd/system/healthhost.service",
            "/etc/systemd/system/multi-user.target.wants/healthhost.service", "/usr/share/man/man1/healthhost.1.gz",
        ] {
            var info = stat()
            #expect(lstat(path, &info) != 0, "\(path) is left after purge")
        }
        #expect(try await command(["getent", "passwd", "healthhost"], allowFailure: true).status != 0)
        #expect(try await command(["getent", "group", "healthhost"], allowFailure: true).status != 0)
        for name in Self.packageNames {
            #expect(try await command(["dpkg", "-s", name], allowFailure: true).status != 0, "\(name) is still known to dpkg")
        }
        print("install, use and purge: \(ContinuousClock.now - started)")
        _ = try? await lintian.value
    }

    /// The folder of the toolchain's Swift runtime, where what `swift build` made finds it.
    private func toolchainFolder() async throws -> String {
        let libraries = try await command(["ldd", TestPaths.executable]).output
        let line = libraries.split(separator: "\n").first { $0.contains("libswiftCore.so => /") }
        let path = try #require(line?.split(separator: " ").dropFirst(2).first.map(String.init), "\(libraries)")
        return (path as NSString).deletingLastPathComponent
    }

    /// `healthhost serve` of the installed config, with the secret the postinst wrote.
    private func servesTheInstalledConfig() async throws {
        let port = try freePort()
        let server = try await ServerProcess(
            "/usr/bin/healthhost", ["serve", "--config", "/etc/healthhost/healthhost.yaml", "--port", "\(port)"],
            readyWhenPort: port)
        let secret = try String(contentsOfFile: "/etc/healthhost/secret", encoding: .utf8)
        #expect(secret.count == 64 && secret.allSatisfy(\.isHexDigit), "\(secret)")
        #expect(try await RawHTTPClient.request(port: port, "GET", "/livez").status == 200)
        let health = try await RawHTTPClient.request(port: port, "GET", "/health/?checks=alive", headers: ["Authorization": "Bearer \(secret)"])
        #expect(health.status == 200 && health.body.contains(#""alive":true"#), "\(health.body)")
        #expect(try await RawHTTPClient.request(port: port, "GET", "/health/?checks=alive").status == 401)
        let metrics = try await RawHTTPClient.request(port: port, "GET", "/metrics", headers: ["Authorization": "Bearer \(secret)"])
        #expect(metrics.body.contains(#"healthhost_plugin_info{plugin="system""#), "\(metrics.body)")
        withExtendedLifetime(server) {}
    }

    /// Both pages installed where `man` finds them, rendered without a warning, naming
    /// every command and option `healthhost --help` lists and every key of docs/configuration.md's
    /// configuration reference.
    private func manPagesAreInstalledAndComplete() async throws {
        let found = try await command(["man", "-w", "healthhost", "healthhost.yaml"]).output
        #expect(found.contains("/usr/share/man/man1/healthhost.1.gz") && found.contains("/usr/share/man/man5/healthhost.yaml.5.gz"))
        var rendered: [String: String] = [:]
        for page in ["/usr/share/man/man1/healthhost.1.gz", "/usr/share/man/man5/healthhost.yaml.5.gz"] {
            let warnings = try await shell("MANWIDTH=80 man --warnings -l \(page) 2>&1 >/dev/null")
            #expect(warnings.output.isEmpty, "\(page): \(warnings.output)")
            rendered[page] = try await shell("MANWIDTH=80 man --no-hyphenation --no-justification -l \(page) 2>/dev/null").output
        }
        let manual = try #require(rendered["/usr/share/man/man1/healthhost.1.gz"])
        let help = try await command(["/usr/bin/healthhost", "--help"]).output
        let commands =
            help.components(separatedBy: "SUBCOMMANDS:").last?.split(separator: "\n")
            .compactMap { $0.hasPrefix("  ") && !$0.hasPrefix("   ") ? $0.split(separator: " ").first.map(String.init) : nil }
            .filter { $0.first?.isLowercase == true } ?? []
        #expect(Set(commands).isSuperset(of: ["serve", "check", "plugins", "validate"]), "\(help)")
        var options: Set<String> = ["--version", "--help"]
        for name in commands {
            #expect(manual.contains("healthhost \(name)"), "healthhost(1) does not show 'healthhost \(name)'")
            let text = try await command(["/usr/bin/healthhost", "help", name]).output
            for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.hasPrefix("--") {
                options.insert(String(word.prefix { $0 != "=" && $0 != "<" }))
            }
        }
        #expect(options.contains("--checks") && options.contains("--port"), "\(options)")
        for option in options { #expect(manual.contains(option), "healthhost(1) does not describe \(option)") }

        // Each row of docs/configuration.md's reference as its entry's tag: the key and its default, as
        // packaging/man/config-reference.py writes them (rendered wide enough for one line).
        let wide = try await shell(
            "MANWIDTH=250 man --no-hyphenation --no-justification -l /usr/share/man/man5/healthhost.yaml.5.gz 2>/dev/null"
        ).output
        let tags = Set(wide.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        let reference = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let section = reference.components(separatedBy: "## Configuration reference").last?.components(separatedBy: "\n## ").first ?? ""
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { $0.dropFirst(2).components(separatedBy: " | ") }
        #expect(rows.count > 50, "docs/configuration.md's reference was read: \(rows)")
        func plain(_ cell: String) -> String { cell.replacingOccurrences(of: "`", with: "").replacingOccurrences(of: "**", with: "") }
        for row in rows where row.count == 3 {
            var tag = plain(row[0])
            switch row[1] {
            case "required": tag += " (required)"
            case "–", "-", "—": break
            default: tag += " (default: \(plain(row[1])))"
            }
            guard tag.allSatisfy(\.isASCII) else { continue }  // ×, ±: as the locale renders them
            let documented = tags.contains(tag)  // (the set itself would fill the failure message)
            #expect(documented, "healthhost.yaml(5) has no entry '\(tag)': run packaging/man/config-reference.py")
        }
    }

    /// The header's own example plugin, built as its comment says with the installed
    /// header found through pkg-config, loaded by the installed host.
    private func aCPluginBuildsWithPkgConfigAndLoads() async throws {
        #expect(try await command(["pkg-config", "--cflags", "healthhost"]).output.contains("-I/usr/include/healthhost"))
        #expect(try await command(["pkg-config", "--variable=plugindir", "healthhost"]).output.hasPrefix("/usr/lib/healthhost/plugins"))
        let folder = TestPaths.temporaryDirectory("pkgconfig")
        let source = """
            #include "healthhost_plugin.h"

            static int check_hello(const hh_call *call, hh_result *out) {
                (void)call;
                hh_result_set_message(out, "hello from %s", "C");
                return HH_PASS;
            }

            static const hh_check checks[] = {
                { .name = "hello", .summary = "Always passes, politely.",
                  .run = check_hello, .flags = HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE },
            };

            static const hh_plugin plugin = {
                HH_PLUGIN_HEADER,
                .name = "hello", .version = "1.0.0", .summary = "A friendly example.",
                HH_PLUGIN_CHECKS(checks),
            };

            HH_EXPORT const hh_plugin *hh_plugin_entry_v1(void) { return &plugin; }

            """
        try source.write(toFile: folder + "/hello.c", atomically: true, encoding: .utf8)
        try await shell(
            "cd \(folder) && cc $(pkg-config --cflags healthhost) -std=c99 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -o hh-hello.so hello.c"
        )
        let config = folder + "/hello.yaml"
        try "auth: { disabled: true }\nplugins: { paths: [\(folder)/hh-hello.so] }\n".write(toFile: config, atomically: true, encoding: .utf8)
        let checked = try await command(["/usr/bin/healthhost", "check", "--config", config])
        #expect(checked.output.contains("hello.hello") && checked.output.contains("hello from C"), "\(checked.output)")
    }

    /// Examples/swift-plugin built as README says (with the run path it documents), run
    /// by the installed host in a mount namespace where the toolchain's runtime folder is
    /// an empty tmpfs, as on a server without the toolchain: without
    /// healthhost-swift-plugin-runtime it cannot load FoundationEssentials (the issue's
    /// error); with it, it loads and its check passes.
    private func aSwiftPluginFromTheTemplateLoadsWithoutTheToolchain(runtime: String, toolchain: String) async throws {
        let package = TestPaths.packageRoot.appendingPathComponent("Examples/swift-plugin").path
        let built = try await runOffThePool(
            "/usr/bin/env", ["swift", "build", "--package-path", package, "-Xlinker", "-rpath", "-Xlinker", "/usr/lib/healthhost/swift"])
        try #require(built.status == 0, "swift build of the template failed:\n\(built.output)")
        let folder = TestPaths.temporaryDirectory("swift-plugin")
        try FileManager.default.copyItem(atPath: package + "/.build/debug/libhh-example.so", toPath: folder + "/libhh-example.so")
        let needed = try await command(["readelf", "-d", folder + "/libhh-example.so"]).output
        #expect(needed.contains("[libFoundationEssentials.so]") && needed.contains("/usr/lib/healthhost/swift"), "\(needed)")
        let config = folder + "/example.yaml"
        try "auth: { disabled: true }\nplugins: { paths: [\(folder)/libhh-example.so], config: { example: { marker: \(folder)/marker } } }\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let withoutToolchain =
            "unshare --mount sh -c 'mount -t tmpfs none \(toolchain) && exec /usr/bin/healthhost check --config \(config) --checks example.always_ok'"

        let missing = try await shell(withoutToolchain, allowFailure: true)
        #expect(missing.status == 3, "\(missing.output)")
        #expect(missing.output.contains("libFoundationEssentials.so: cannot open shared object file"), "\(missing.output)")

        try await command(["dpkg", "-i", runtime])
        let loaded = try await shell(withoutToolchain, allowFailure: true)
        #expect(loaded.status == 0 && loaded.output.contains("example.always_ok  PASS"), "\(loaded.output)")
    }

    // MARK: - lintian

    /// Last: lintian, started by the install test, has run meanwhile.
    @Test func lintianFindsNoErrorInAnyPackage() async throws {
        _ = try await builtDebs()
        let started = ContinuousClock.now
        let lintian = try await Self.lintian.value
        print("lintian: \(ContinuousClock.now - started) spent waiting for it")
        #expect(lintian.status == 0, "lintian: \(lintian.output)")
        let errors = lintian.output.split(separator: "\n").filter { $0.hasPrefix("E: ") }
        #expect(errors.isEmpty, "\(errors.joined(separator: "\n"))")
        // It read every package: each carries the one override (no ITP bug to close).
        for name in Self.packageNames {
            #expect(lintian.output.contains("O: \(name): initial-upload-closes-no-bugs"), "\(lintian.output)")
        }
    }

    struct PackageError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
