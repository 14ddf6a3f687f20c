import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to 127.0.0.1 driven step by step, for the transport tests: send
/// some bytes, wait, half-close, see whether and when the server closes. Every call
/// blocks, so tests run them through ``offThePool(_:)``.
final class TestSocket: @unchecked Sendable {
    let fd: Int32

    /// Connects; throws when the connection is refused. A small `receiveBuffer` makes the
    /// kernel stop taking the server's answers early (a client that reads nothing); a
    /// loopback `source` address (127.0.0.2, ...) lets one machine play several clients.
    init(port: Int, receiveBuffer: Int32? = nil, source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)  // never inherited by a process another test launches
        guard fd >= 0 else { throw RawHTTPClient.ClientError("socket() failed") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw RawHTTPClient.ClientError("bind to \(source) failed") }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        // No close here: a class whose init throws after its properties are set is
        // deinitialised, and a second close could hit a descriptor NIO owns by then.
        guard connected == 0 else { throw RawHTTPClient.ClientError("connect to 127.0.0.1:\(port) failed") }
    }

    deinit { close(fd) }

    /// Sends all of `text` (blocking); returns false when the server has closed.
    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Sends all of `bytes` (blocking); returns false when the server has closed.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// Sends `chunk` again and again without ever reading, for `seconds`, never blocking
    /// for long: returns the bytes the kernel took and whether a send ever found the
    /// connection full (the server stopped reading).
    func flood(_ chunk: [UInt8], seconds: Double) -> (sent: Int, sawFull: Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        var sent = 0
        var sawFull = false
        while Date() < deadline {
            let n = chunk.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if n > 0 {
                sent += n
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                sawFull = true
                usleep(5000)
            } else {
                break
            }
        }
        return (sent, sawFull)
    }

    /// Half-closes: the server sees EOF, the socket still reads.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads until the server closes or `timeout` seconds pass without data.
    func readUntilClose(timeout: Double = 5) -> RawHTTPClient.Exchange {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let started = Date()
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                received.append(contentsOf: buffer[0..<n])
            } else {
                // A reset after the answer counts as closed by the server too.
                let closed = n == 0 || (n < 0 && errno == ECONNRESET)
                return .init(data: received, closedByServer: closed, elapsed: Date().timeIntervalSince(started))
            }
        }
    }

    /// Reads until `count` whole responses have arrived (or `timeout` seconds pass).
    func readResponses(_ count: Int, timeout: Double = 10) -> [RawHTTPResponse] {
        let deadline = Date().addingTimeInterval(timeout)
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            let responses = RawHTTPClient.parse(received)
            if responses.count >= count, let last = responses.last,
                last.body.utf8.count == Int(last.header("Content-Length") ?? "0")
            {
                return responses
            }
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&pollFD, 1, remaining) > 0 else { break }
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        return RawHTTPClient.parse(received)
    }

    /// Reads what arrives within `timeout` seconds.
    func readFor(_ timeout: Double) -> Data {
        let deadline = Date().addingTimeInterval(timeout)
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&pollFD, 1, remaining) > 0 else { break }
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        return received
    }
}
