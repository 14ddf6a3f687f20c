import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A shell script that stands in for the worker binary. Written close-on-exec and run
/// once before it is handed out: a file still open for writing in a child another test
/// is forking at that moment cannot be executed (ETXTBSY, "Text file busy").
enum FakeWorkerScript {
    /// The path of an executable script that runs `body` when started as a worker.
    static func write(_ body: String) throws -> String {
        let path = TestPaths.temporaryDirectory("fake-worker") + "/worker.sh"
        let text = "#!/bin/sh\n[ \"$1\" = --settle ] && exit 0\n\(body)\n"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { throw POSIXError(.EIO) }
        try settle(path)
        return path
    }

    /// Runs the script with `--settle` until it starts (at most 100 tries, 10 ms apart).
    private static func settle(_ path: String) throws {
        for _ in 0..<100 {
            var pid: pid_t = 0
            var argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), strdup("--settle"), nil]
            defer { for pointer in argv { free(pointer) } }
            let result = posix_spawn(&pid, path, nil, nil, &argv, nil)
            if result == 0 {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return
            }
            guard result == ETXTBSY else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
            usleep(10_000)
        }
        throw POSIXError(.ETXTBSY)
    }
}
