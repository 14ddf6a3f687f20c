import HealthCore
import CProcessSupport
import HealthPOSIX
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Keeps what in-process plugins write to standard output and error from ever blocking
/// the host: descriptors 1 and 2 become pipes that a thread drains to the real streams,
/// dropping (and counting) what the real stream does not take within 100 ms. Without
/// it, a check that wrote 10 MB to an unread stdout pipe hung, and so did the host's
/// exit (C's `exit` flushes stdio). Isolated plugins write to their worker's pipe instead.
public enum StandardStreamGuard {
    /// Installs the guard on 1 and 2 (once); returns a close-on-exec descriptor of the
    /// real standard error, for the host's own log writer.
    public static func install() -> Int32 {
        state.withLockedValue { state in
            if let installed = state { return installed }
            let realError = hh_dup_cloexec(STDERR_FILENO)
            for target in [STDOUT_FILENO, STDERR_FILENO] {
                let real = target == STDERR_FILENO ? realError : hh_dup_cloexec(target)
                var fds: [Int32] = [-1, -1]
                guard real >= 0, hh_pipe_cloexec(&fds) == 0 else { continue }
                guard dup2(fds[1], target) >= 0 else {
                    Glibc.close(fds[0])
                    Glibc.close(fds[1])
                    continue
                }
                Glibc.close(fds[1])
                let source = fds[0]
                DetachedThread.start(name: "hh-stdio-\(target)") { drain(source, into: real) }
            }
            state = realError >= 0 ? realError : STDERR_FILENO
            return state ?? STDERR_FILENO
        }
    }

    /// The real standard error once the guard is installed (descriptor 2 is then a pipe a
    /// thread drains, and what is still in it when the process exits is lost), else 2:
    /// where the host's own last words go.
    public static var realStandardError: Int32 { state.withLockedValue { $0 } ?? STDERR_FILENO }

    /// Bytes dropped so far because a real stream did not take them.
    public static var droppedBytes: Int { dropped.withLockedValue { $0 } }

    private static let state = NIOLockedValueBox<Int32?>(nil)
    private static let dropped = NIOLockedValueBox(0)

    private static func drain(_ source: Int32, into real: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(source, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            var offset = 0
            // A pipe that polls writable takes at least PIPE_BUF bytes without blocking.
            while offset < count {
                var pollFD = pollfd(fd: real, events: Int16(POLLOUT), revents: 0)
                guard poll(&pollFD, 1, 100) > 0, (pollFD.revents & Int16(POLLOUT)) != 0 else { break }
                let piece = min(count - offset, Int(PIPE_BUF))
                let written = buffer.withUnsafeBytes { bytes -> Int in
                    guard let base = bytes.baseAddress else { return -1 }
                    return Glibc.write(real, base + offset, piece)
                }
                guard written > 0 else { break }
                offset += written
            }
            if offset < count { dropped.withLockedValue { $0 += count - offset } }
        }
    }
}
