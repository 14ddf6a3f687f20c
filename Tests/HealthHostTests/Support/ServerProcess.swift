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
        pid = try spawnDetached([executable] + arguments)
        let ready = await poll(
            until: {
                if let port, (try? TestSocket(port: port)) != nil { return true }
                if let file, FileManager.default.fileExists(atPath: file) { return true }
                return false
            }, timeout: .seconds(6), every: .milliseconds(20))
        if ready { return }
        throw RawHTTPClient.ClientError("\(executable) did not become ready (port \(port.map(String.init) ?? "-"), file \(file ?? "-"))")
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
}
