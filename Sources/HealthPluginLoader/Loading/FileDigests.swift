import HealthCore
import HealthPOSIX
import NIOConcurrencyHelpers

/// The SHA-256 of each plugin file, computed at most once per load: the trust rules
/// (`plugins.allowed_digests`), the bundled-plugin identity and the loaded plugin's
/// `sha256` all read the same digest instead of hashing the file again (start-up hashed
/// every installed bundled plugin twice). ``computedCount`` says how many files were read.
final class FileDigests: Sendable {
    private let digests = NIOLockedValueBox<[String: String?]>([:])
    private let computed = NIOLockedValueBox(0)
    private let compute: @Sendable (String) -> String?

    /// A memo over `compute` (``FileDigest/sha256(ofFile:)`` unless a test counts).
    init(compute: @escaping @Sendable (String) -> String? = FileDigest.sha256(ofFile:)) {
        self.compute = compute
    }

    /// How many times a file was hashed.
    var computedCount: Int { computed.withLockedValue { $0 } }

    /// The lowercase hex SHA-256 of the file at `path`, or `nil` when it cannot be read.
    func sha256(ofFile file: String) -> String? {
        let path = FilePaths.resolvingLinks(FilePaths.absolute(file))
        if let known = digests.withLockedValue({ $0[path] }) { return known }
        let digest = compute(path)
        computed.withLockedValue { $0 += 1 }
        digests.withLockedValue { $0[path] = digest }
        return digest
    }

    /// The digest of `path` when it has been computed already, without computing it.
    func known(_ file: String) -> String? {
        let path = FilePaths.resolvingLinks(FilePaths.absolute(file))
        return digests.withLockedValue { $0[path] } ?? nil
    }
}
