import FoundationEssentials
import CNettle

/// SHA-256 of files, to identify exactly which plugin build is loaded.
enum FileDigest {
    /// The lowercase hex SHA-256 of the file, or `nil` when it cannot be read.
    static func sha256(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var context = sha256_ctx()
        nettle_sha256_init(&context)
        data.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                nettle_sha256_update(&context, bytes.count, base.assumingMemoryBound(to: UInt8.self))
            }
        }
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_SIZE))
        nettle_sha256_digest(&context, digest.count, &digest)
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
