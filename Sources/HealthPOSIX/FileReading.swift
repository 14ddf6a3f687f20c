#if canImport(Glibc)
import Glibc
#endif

/// Why a file could not be read (``FileReading``).
public struct FileReadError: Error, Sendable, CustomStringConvertible {
    /// The errno the system gave, or 0 when the file was too large.
    public let number: Int32
    /// The system's text for `number` ("No such file or directory"), or the limit passed.
    public let description: String
}

/// Reads whole files with POSIX calls, and says why one cannot be read in the system's
/// words ("Permission denied"), without Foundation.
public enum FileReading {
    /// The bytes of the file at `path`, at most `limit` of them (more is a failure).
    public static func bytes(atPath path: String, limit: Int = 64 << 20) throws(FileReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(errno) }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            if count == 0 { return contents }
            guard contents.count + count <= limit else {
                throw FileReadError(number: 0, description: "larger than \(limit) bytes")
            }
            contents.append(contentsOf: chunk[..<count])
        }
    }

    /// The file at `path` as UTF-8 text (invalid bytes become U+FFFD).
    public static func text(atPath path: String, limit: Int = 64 << 20) throws(FileReadError) -> String {
        String(decoding: try bytes(atPath: path, limit: limit), as: UTF8.self)
    }

    private static func failure(_ number: Int32) -> FileReadError {
        FileReadError(number: number, description: String(cString: strerror(number)))
    }
}
