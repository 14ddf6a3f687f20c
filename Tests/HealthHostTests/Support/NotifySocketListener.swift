import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What systemd's end of `$NOTIFY_SOCKET` sees: a datagram socket in a folder of the
/// test's that collects every message a process sends it (sd_notify(3)).
final class NotifySocketListener: @unchecked Sendable {
    let path: String
    private let descriptor: Int32

    init() throws {
        path = TestPaths.temporaryDirectory("notify") + "/notify.sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw RawHTTPClient.ClientError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw RawHTTPClient.ClientError("bind \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(descriptor) }

    /// The environment that points a process at this socket.
    var environment: [String: String] { ["NOTIFY_SOCKET": path] }

    /// The next message, or nil when none came within `timeout`.
    func next(within timeout: Duration) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Messages until one contains `text` (returned), skipping others; nil when none did
    /// within `timeout`. `skipped` collects what came before it.
    func await(_ text: String, within timeout: Duration, skipped: inout [String]) -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = next(within: deadline - ContinuousClock.now) else { return nil }
            if message.contains(text) { return message }
            skipped.append(message)
        }
        return nil
    }
}
