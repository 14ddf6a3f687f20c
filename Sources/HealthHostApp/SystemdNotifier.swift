import Dispatch
import HealthCore
import HealthPOSIX
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The service manager's notification socket (`$NOTIFY_SOCKET`, sd_notify(3)): how a
/// `Type=notify` unit tells systemd that it is ready, reloading or stopping, what it is
/// doing (`STATUS=`) and that it is alive (`WATCHDOG=1`). The protocol is one datagram
/// of `KEY=value` lines to a Unix socket, so this needs no libsystemd. Without
/// `NOTIFY_SOCKET` (not started by systemd) there is no notifier.
///
/// A send can block (systemd's queue for the socket is short: `net.unix.max_dgram_qlen`,
/// often 10) and a dropped `READY=1` would fail the start, so messages are not sent
/// with `MSG_DONTWAIT` but queued, in order, to a thread of their own that waits up to
/// 2 s for each, as `sd_notify` would: callers on an event loop or the concurrency pool
/// never block.
public struct SystemdNotifier: Sendable {
    /// The socket's path; a leading `@` names an abstract socket.
    public let socketPath: String
    private let sender: DatagramSender

    /// The notifier `environment` asks for, or nil when it names no usable socket.
    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], path.hasPrefix("/") || path.hasPrefix("@") else { return nil }
        // A path needs room for its NUL; an abstract name fills the whole field.
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard path.utf8.count < capacity || (path.hasPrefix("@") && path.utf8.count == capacity) else { return nil }
        socketPath = path
        sender = DatagramSender(socketPath: path)
    }

    /// The variables a service manager sets for this process only: a child (a plugin
    /// worker, a Nagios plugin) must not inherit them, as `sd_notify`'s
    /// `unset_environment` has it.
    public static let environmentVariables: Set<String> = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]

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

    /// Queues `assignments` as one datagram; returns at once.
    public func send(_ assignments: [String]) {
        // A status is one line: a newline in it would start an assignment of its own.
        sender.enqueue(assignments.map { $0.replacingNewlines() }.joined(separator: "\n"))
    }

    /// Waits up to `timeout` until every queued message was sent or given up on (for a
    /// process about to exit, and for tests).
    public func flush(timeout: Duration = .seconds(3)) { sender.flush(timeout: timeout) }
}

/// The thread that sends the notifier's datagrams, one at a time, in order.
private final class DatagramSender: Sendable {
    private struct State {
        var queue: [String] = []
        var threadStarted = false
        var sending = false
    }

    private let socketPath: String
    private let state = NIOLockedValueBox(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    init(socketPath: String) { self.socketPath = socketPath }

    func enqueue(_ message: String) {
        let startThread = state.withLockedValue { state -> Bool in
            state.queue.append(message)
            defer { state.threadStarted = true }
            return !state.threadStarted
        }
        if startThread {
            let started = DetachedThread.start(name: "hh-notify") { [self] in run() }
            // No thread (out of threads): send here rather than lose READY=1.
            if !started {
                state.withLockedValue { $0.threadStarted = false }
                while let next = state.withLockedValue({ $0.queue.isEmpty ? nil : $0.queue.removeFirst() }) { _ = send(next) }
                return
            }
        }
        wakeUp.signal()
    }

    func flush(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLockedValue({ $0.queue.isEmpty && !$0.sending }) { return }
            usleep(2_000)
        }
    }

    private func run() {
        while true {
            wakeUp.wait()
            while let next = state.withLockedValue({ state -> String? in
                guard !state.queue.isEmpty else { return nil }
                state.sending = true
                return state.queue.removeFirst()
            }) {
                _ = send(next)
                state.withLockedValue { $0.sending = false }
            }
        }
    }

    /// One datagram, waiting at most 2 s for room in the socket's queue.
    private func send(_ text: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() where index < raw.count { raw[index] = byte }
        }
        // An abstract address is exactly as long as its name; a path ends at its NUL.
        let length = MemoryLayout<sa_family_t>.size + pathBytes.count + (abstract ? 0 : 1)
        let sent = text.withCString { message in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(descriptor, message, strlen(message), Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
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
