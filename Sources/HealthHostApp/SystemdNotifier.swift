#if canImport(Glibc)
    import Glibc
#endif

/// The service manager's notification socket (`$NOTIFY_SOCKET`, sd_notify(3)): how a
/// `Type=notify` unit tells systemd that it is ready, reloading or stopping, what it is
/// doing (`STATUS=`) and that it is alive (`WATCHDOG=1`). The protocol is one datagram
/// of `KEY=value` lines to a Unix socket, so this needs no libsystemd. Without
/// `NOTIFY_SOCKET` (not started by systemd) there is no notifier.
public struct SystemdNotifier: Sendable {
    /// The socket's path; a leading `@` names an abstract socket.
    public let socketPath: String

    /// The notifier `environment` asks for, or nil when it names no usable socket.
    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], path.hasPrefix("/") || path.hasPrefix("@"),
            path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        else { return nil }
        socketPath = path
    }

    /// `READY=1`: start-up is over (the listener is open).
    public func ready(status: String) { send(["READY=1", "STATUS=\(status)"]) }

    /// `RELOADING=1` with the monotonic time systemd 253+ asks for; ``ready(status:)``
    /// ends the reload.
    public func reloading(status: String) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send(["RELOADING=1", "MONOTONIC_USEC=\(microseconds)", "STATUS=\(status)"])
    }

    /// `STOPPING=1`: the drain has begun.
    public func stopping(status: String) { send(["STOPPING=1", "STATUS=\(status)"]) }

    /// `STATUS=`: one line for `systemctl status`.
    public func status(_ text: String) { send(["STATUS=\(text)"]) }

    /// `WATCHDOG=1`: the host is alive.
    public func watchdog() { send(["WATCHDOG=1"]) }

    /// Sends `assignments` as one datagram; never blocks. Returns whether it was sent.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        // A status is one line: a newline in it would start an assignment of its own.
        let text = assignments.map { $0.replacingNewlines() }.joined(separator: "\n")
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() where index < raw.count { raw[index] = byte }
        }
        // An abstract address is exactly as long as its name; a path ends at its NUL.
        let length = MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1)
        let sent = text.withCString { message in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(
                        descriptor, message, strlen(message), Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), socketAddress,
                        socklen_t(length))
                }
            }
        }
        return sent >= 0
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
    }
}
