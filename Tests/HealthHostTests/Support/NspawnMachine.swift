import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A Debian container booted with a real systemd as its PID 1 (systemd-nspawn), on a
/// machine whose own PID 1 is not systemd: Tests/Fixtures/deploy/nspawn.sh does the work
/// (research/deploy-harness.md, section A, measured: boot ~0.5-0.9 s, poweroff ~0.3-1.8 s).
/// Its root is the cached rootfs under a tmpfs overlay, so nothing a test installs
/// outlives it, and its network is its own loopback, so the packaged config's
/// 127.0.0.1:8080 collides with nothing: HTTP goes through ``run(_:)`` (curl inside).
///
/// Use ``with(binding:_:)``: it stops the container (by nspawn's PID) whatever the body does.
final class NspawnMachine: Sendable {
    /// The folder nspawn.sh keeps its PIDs and log in.
    let state: String

    private init(state: String) { self.state = state }

    static let scripts = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/deploy").path

    /// Whether this machine can boot one: root, systemd-nspawn, nsenter and debootstrap.
    static var isAvailable: Bool {
        getuid() == 0
            && ["/usr/bin/systemd-nspawn", "/usr/bin/nsenter", "/usr/sbin/debootstrap"].allSatisfy {
                FileManager.default.isExecutableFile(atPath: $0)
            }
    }

    /// The cached bookworm rootfs (debian-rootfs.sh: built once per machine, ~80-90 s,
    /// then ~0.05 s), made at most once per test run.
    static let rootfs = Task<String, any Error> {
        let result = try await runOffThePool("\(scripts)/debian-rootfs.sh", [])
        guard result.status == 0, let path = result.output.split(separator: "\n").last.map(String.init), path.hasPrefix("/")
        else { throw HarnessError(what: "debian-rootfs.sh", output: result.output) }
        return path
    }

    /// Boots a container with `binding` (host folder, container folder) pairs mounted
    /// read-only, runs `body` with it, and powers it off whatever happens.
    static func with<Value: Sendable>(
        binding: [(String, String)] = [], _ body: (NspawnMachine) async throws -> Value
    ) async throws -> Value {
        let root = try await rootfs.value
        let state = TestPaths.temporaryDirectory("nspawn")
        let arguments = ["boot", state, root] + binding.flatMap { ["--bind-ro", "\($0.0):\($0.1)"] }
        let booted = try await runOffThePool("\(scripts)/nspawn.sh", arguments)
        let machine = NspawnMachine(state: state)
        guard booted.status == 0 else {
            await machine.stop()
            throw HarnessError(what: "nspawn.sh boot", output: booted.output)
        }
        do {
            let value = try await body(machine)
            await machine.stop()
            return value
        } catch {
            await machine.stop()
            throw error
        }
    }

    /// Runs `arguments` inside the container (through nsenter on its systemd), returning
    /// the exit status and combined output.
    @discardableResult
    func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await runOffThePool("\(Self.scripts)/nspawn.sh", ["exec", state] + arguments)
    }

    /// Runs `script` with `/bin/sh -c` inside the container.
    @discardableResult
    func shell(_ script: String) async throws -> (status: Int32, output: String) {
        try await run(["/bin/sh", "-c", script])
    }

    /// `systemctl show -p NAME --value UNIT` for each of `properties`.
    func show(_ unit: String, _ properties: [String]) async throws -> [String: String] {
        let output = try await run(["systemctl", "show", unit] + properties.flatMap { ["-p", $0] }).output
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// Powers the container off (SIGTERM to nspawn, SIGKILL after 10 s) and removes
    /// what nspawn leaves in /run/systemd/nspawn.
    func stop() async {
        _ = try? await runOffThePool("\(Self.scripts)/nspawn.sh", ["stop", state])
    }

    struct HarnessError: Error, CustomStringConvertible {
        let what: String
        let output: String
        var description: String { "\(what) failed:\n\(output)" }
    }
}
