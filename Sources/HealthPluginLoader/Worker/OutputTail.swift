import HealthCore
import HealthPOSIX
import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The last lines a worker wrote to standard output and error (at most 10 lines of 300
/// bytes), read on a thread of its own so a plugin that spews can never block the host;
/// lines are logged at most 20 a second.
final class OutputTail: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    private let ended = NIOLockedValueBox(false)

    /// Waits until the worker's output has been read to its end (its last lines are in).
    func waitForEnd(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while !ended.withLockedValue({ $0 }) && ContinuousClock.now < deadline { usleep(2_000) }
    }

    /// `; last output: a | b` or nothing.
    var tailSuffix: String {
        let tail = lines.withLockedValue { $0 }
        return tail.isEmpty ? "" : "; last output: " + tail.suffix(5).joined(separator: " | ")
    }

    func startReading(_ descriptor: Int32, logger: Logger) {
        lines.withLockedValue { $0 = [] }
        ended.withLockedValue { $0 = false }
        DetachedThread.start(name: "hh-worker-out") { [self] in self.read(descriptor, logger: logger) }
    }

    private func read(_ descriptor: Int32, logger: Logger) {
        defer {
            Glibc.close(descriptor)
            ended.withLockedValue { $0 = true }
        }
        var buffer = [UInt8](repeating: 0, count: 16384)
        var partial: [UInt8] = []
        var windowStart = ContinuousClock.now
        var loggedInWindow = 0
        var dropped = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                if !partial.isEmpty {
                    let line = String(decoding: partial, as: UTF8.self)
                    lines.withLockedValue { $0.append(line) }
                }
                return
            }
            for byte in buffer[0..<count] {
                if byte == UInt8(ascii: "\n") {
                    let line = String(decoding: partial.prefix(300), as: UTF8.self)
                    partial.removeAll(keepingCapacity: true)
                    lines.withLockedValue { lines in
                        lines.append(line)
                        if lines.count > 10 { lines.removeFirst(lines.count - 10) }
                    }
                    let now = ContinuousClock.now
                    if now - windowStart >= .seconds(1) {
                        if dropped > 0 { logger.warning("worker output: \(dropped) line(s) not logged (over 20 a second)") }
                        windowStart = now
                        loggedInWindow = 0
                        dropped = 0
                    }
                    if loggedInWindow < 20 {
                        loggedInWindow += 1
                        logger.info("worker output: \(line)")
                    } else {
                        dropped += 1
                    }
                } else if partial.count < 300 {
                    partial.append(byte)
                }
            }
        }
    }
}
