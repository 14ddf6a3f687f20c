import Foundation
import HealthCore

#if canImport(Glibc)
    import Glibc
#endif

/// A server a test starts (nginx, redis-server, dnsmasq, mariadbd, prometheus, the OTLP
/// receiver), ready once `port` takes a connection or `file` exists, and stopped by its
/// PID with SIGKILL when released.
///
/// Spawned here rather than through Foundation's `Process`: Foundation learns of a
/// child's exit when a socket the child inherits closes, and then waits for that child on
/// its one manager thread. dnsmasq closes every descriptor it inherits as it starts, so
/// the manager thread sat in `waitpid` on dnsmasq until the DNS tests stopped it, and
/// every other test waiting for a process meanwhile spun for ever (a suite stuck behind
/// zombies, one run in four). This spawn gives the server no descriptor but standard
/// input, output and error (/dev/null), default signal handling (the test runner ignores
/// SIGTERM, which would stay ignored across exec) and is reaped by its PID.
final class ServerProcess: Sendable {
    private let pid: pid_t

    /// Starts `executable` (an absolute path) with `arguments`, its output discarded, and
    /// waits up to 6 s for it to be ready.
    init(_ executable: String, _ arguments: [String], readyWhenPort port: Int? = nil, orFile file: String? = nil)
        async throws
    {
        pid = try Self.spawn(executable, arguments)
        for _ in 0..<300 {
            if let port, (try? TestSocket(port: port)) != nil { return }
            if let file, FileManager.default.fileExists(atPath: file) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RawHTTPClient.ClientError("\(executable) did not become ready (port \(port.map(String.init) ?? "-"), file \(file ?? "-"))")
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    private static func spawn(_ executable: String, _ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        CleanSpawn.closeDescriptors(from: 3, in: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        CleanSpawn.resetSignals(in: &attributes)
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, environ)
        guard result == 0 else {
            throw RawHTTPClient.ClientError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }
}
