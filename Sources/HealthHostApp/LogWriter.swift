import Dispatch
import HealthCore
import HealthPOSIX
import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Writes log lines to a file descriptor (standard error) from a thread of its own, so
/// that logging never blocks an event loop or a plugin worker: a sink that stops
/// reading (a stalled pipe, a full disk) fills a bounded queue, lines past it are
/// dropped and counted, and the count is written as soon as the sink takes lines again.
///
/// ```swift
/// let writer = LogWriter(fileDescriptor: STDERR_FILENO)
/// LoggingSystem.bootstrap { StreamLogHandler(label: $0, stream: writer.stream) }
/// ```
public final class LogWriter: Sendable {
    private struct Queue {
        var lines: [String] = []
        var bytes = 0
        var dropped = 0
    }

    private let fileDescriptor: Int32
    private let maxQueuedBytes: Int
    private let queue = NIOLockedValueBox(Queue())
    private let wakeUp = DispatchSemaphore(value: 0)
    /// Lines taken by the writer thread and not yet written.
    private let inFlight = NIOLockedValueBox(0)

    /// Starts the writer thread. At most `maxQueuedBytes` wait to be written.
    public init(fileDescriptor: Int32, maxQueuedBytes: Int = 256 << 10) {
        self.fileDescriptor = fileDescriptor
        self.maxQueuedBytes = maxQueuedBytes
        DetachedThread.start(name: "hh-log") { [self] in self.writeForever() }
    }

    /// A stream for `StreamLogHandler`: each `write` is one log line, queued.
    public var stream: Stream { Stream(writer: self) }

    /// Lines dropped so far because the sink did not keep up (and not yet reported).
    public var droppedLines: Int { queue.withLockedValue { $0.dropped } }

    /// Queues one line; drops it (and counts the drop) when the queue is full. Never blocks.
    public func enqueue(_ line: String) {
        let queued = queue.withLockedValue { queue -> Bool in
            guard queue.bytes + line.utf8.count <= maxQueuedBytes else {
                queue.dropped += 1
                return false
            }
            queue.lines.append(line)
            queue.bytes += line.utf8.count
            return true
        }
        if queued { wakeUp.signal() }
    }

    /// Waits up to `timeout` for the queued lines to be written (before the process exits).
    public func flush(timeout: Duration = .seconds(1)) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let pending = queue.withLockedValue { !$0.lines.isEmpty } || inFlight.withLockedValue { $0 > 0 }
            if !pending { return }
            usleep(2000)
        }
    }

    private func writeForever() {
        while true {
            wakeUp.wait()
            let (lines, dropped) = queue.withLockedValue { queue in
                defer { queue = Queue() }
                return (queue.lines, queue.dropped)
            }
            inFlight.withLockedValue { $0 = lines.count }
            // The signal per line leaves extra wake-ups behind; they find an empty queue.
            for line in lines { writeAll(line) }
            if dropped > 0 {
                writeAll("healthhost: dropped \(dropped) log line(s): standard error was not being read\n")
            }
            inFlight.withLockedValue { $0 = 0 }
        }
    }

    /// Blocking write of the whole line (only this thread ever waits on the sink).
    private func writeAll(_ line: String) {
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return write(fileDescriptor, base + offset, buffer.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return  // closed or failing sink: the line is lost, the host goes on
            }
        }
        bytes.removeAll()
    }

    /// The `TextOutputStream` face of a ``LogWriter``.
    public struct Stream: TextOutputStream, Sendable {
        let writer: LogWriter

        public mutating func write(_ string: String) {
            writer.enqueue(string)
        }
    }
}
