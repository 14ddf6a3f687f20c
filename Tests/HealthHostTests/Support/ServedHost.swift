import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A running `healthhost serve` (the real binary) on a free port, its standard error
/// piped to the test; killed when the test ends.
final class ServedHost: @unchecked Sendable {
    let process = Process()
    let port: Int
    let errors = ProcessLaunch.pipe()

    /// `environment` is added to the test's own. `port: 0` in `yaml` becomes a free port
    /// (``port``) unless `keepPortZero`, when the host picks one itself (``port`` is then 0).
    init(yaml: String, environment: [String: String] = [:], keepPortZero: Bool = false) throws {
        port = keepPortZero ? 0 : try freePort()
        let path = TestPaths.temporaryDirectory("transport") + "/healthhost.yaml"
        let text = keepPortZero ? yaml : yaml.replacingOccurrences(of: "port: 0", with: "port: \(port)")
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        process.executableURL = URL(fileURLWithPath: TestPaths.executable)
        process.arguments = ["serve", "--config", path]
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        try ProcessLaunch.run(process)
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// Returns once `/health/ping` answers `pong` (within 5 s); throws when it does not
    /// or the host exits first.
    func waitUntilServing() async throws {
        let process = self.process
        try await waitUntilAnswering(port: port, timeout: .seconds(5), stillRunning: { process.isRunning }) { $0.body == "pong" }
    }

    /// Resident memory in KiB, from /proc.
    var residentKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// Everything it wrote to standard error, once it exited by itself (a host that
    /// cannot start).
    func terminateWhenExited() async throws -> String {
        let output = errors.fileHandleForReading
        let process = self.process
        return try await offThePool {
            let log = String(decoding: output.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return log
        }
    }

    /// SIGTERM, then everything it wrote to standard error until it exited.
    func terminate() async throws -> String {
        kill(process.processIdentifier, SIGTERM)
        return try await terminateWhenExited()
    }
}
