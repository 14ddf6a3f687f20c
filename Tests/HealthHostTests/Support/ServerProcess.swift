import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A server a test starts (nginx, redis-server, dnsmasq, mariadbd), ready once `port`
/// takes a connection or `file` exists, and stopped by its PID with SIGKILL when
/// released: the test runner ignores SIGTERM, and an ignored signal stays ignored across
/// exec.
final class ServerProcess: @unchecked Sendable {
    private let process = Process()

    /// Starts `executable` with `arguments`, its output discarded, and waits up to 6 s.
    init(_ executable: String, _ arguments: [String], readyWhenPort port: Int? = nil, orFile file: String? = nil)
        async throws
    {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 {
            if let port, (try? TestSocket(port: port)) != nil { return }
            if let file, FileManager.default.fileExists(atPath: file) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RawHTTPClient.ClientError("\(executable) did not become ready (port \(port.map(String.init) ?? "-"), file \(file ?? "-"))")
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
