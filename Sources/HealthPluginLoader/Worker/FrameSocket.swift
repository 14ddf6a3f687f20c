#if canImport(Glibc)
import Glibc
#endif

/// One end of the `SOCK_SEQPACKET` socket pair between the host and a worker: sends one
/// direction's messages and receives the other's, one packet each. Sends from several
/// threads are safe (each is one packet); one thread receives. Every call blocks: the
/// host makes them on its own threads (the engine's workers, a reader thread per worker),
/// never on an event loop or the concurrency pool.
struct FrameSocket: Sendable {
    let descriptor: Int32

    /// Creates a connected pair, both ends close-on-exec.
    static func pair() -> (FrameSocket, FrameSocket)? {
        var descriptors: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0
        else { return nil }
        return (FrameSocket(descriptor: descriptors[0]), FrameSocket(descriptor: descriptors[1]))
    }

    /// Sends one message; `false` when the peer is gone or the message too large.
    @discardableResult
    func send(_ message: some WorkerWireMessage) -> Bool {
        guard let bytes = try? message.encoded() else { return false }
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == bytes.count
    }

    /// What ``receive(_:)`` found.
    enum Received<Message: WorkerWireMessage> {
        case message(Message)
        /// The peer closed its end (or died).
        case closed
        /// A packet that is not a message of this direction.
        case invalid(WorkerProtocolError)
    }

    /// Blocks until the next message.
    func receive<Message: WorkerWireMessage>(_: Message.Type) -> Received<Message> {
        var buffer = [UInt8](repeating: 0, count: WorkerProtocol.maximumBytes + 1)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .closed }
            do throws(WorkerProtocolError) {
                return .message(try Message.decode(buffer[0..<count]))
            } catch {
                return .invalid(error)
            }
        }
    }

    /// Waits up to `timeout` for a message; `nil` when none came in time.
    func receive<Message: WorkerWireMessage>(_ type: Message.Type, within timeout: Duration) -> Received<Message>? {
        var pollFD = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&pollFD, 1, max(0, milliseconds))
        guard ready > 0 else { return nil }
        return receive(type)
    }

    func close() { _ = Glibc.close(descriptor) }
}
