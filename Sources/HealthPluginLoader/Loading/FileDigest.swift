import CNettle

#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of files, to identify exactly which plugin build is loaded.
enum FileDigest {
    /// The lowercase hex SHA-256 of the file, or `nil` when it cannot be read.
    static func sha256(ofFile path: String) -> String? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var context = sha256_ctx()
        nettle_sha256_init(&context)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            nettle_sha256_update(&context, count, chunk)
        }
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_SIZE))
        nettle_sha256_digest(&context, digest.count, &digest)
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
