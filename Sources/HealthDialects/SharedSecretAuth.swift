public import HealthHTTP
import NIOConcurrencyHelpers
import NIOHTTP1

/// The shared secret that protects check results, as in the seed: given as `?auth=` or
/// as `Authorization: Bearer`, compared in constant time. The secret is never logged
/// and never part of a response.
///
/// A secret read from a file can be replaced while the host runs (``replaceSecret(with:)``),
/// so a rotated Kubernetes Secret takes effect without a restart.
public struct SharedSecretAuth: Sendable {
    private let store: SecretStore?

    /// No secret: every request is allowed (`auth.disabled: true`).
    public static let disabled = SharedSecretAuth(store: nil)

    /// Requests must present `secret`.
    public init(secret: String) { self.init(store: SecretStore(Array(secret.utf8))) }

    private init(store: SecretStore?) { self.store = store }

    /// Whether auth is on.
    public var isEnabled: Bool { store != nil }

    private var secret: [UInt8]? { store?.value }

    /// Replaces the secret (after the secret file changed); returns whether it differed.
    /// Does nothing when auth is disabled.
    @discardableResult
    public func replaceSecret(with newSecret: String) -> Bool {
        guard let store else { return false }
        return store.replace(with: Array(newSecret.utf8))
    }

    /// The secret as text, for scrubbing it out of environment dumps and request log
    /// lines; never log it.
    public var secretText: String? { secret.map { String(decoding: $0, as: UTF8.self) } }

    /// The query parameter that carries the secret (`?auth=SECRET`); the request log
    /// never shows its value.
    public static let queryParameterName = "auth"

    /// Whether the request presents the secret (always true when auth is disabled).
    /// Read in place: no copy of the secret, the query values or the headers (this runs
    /// on every protected request).
    public func allows(_ request: HTTPRequest) -> Bool {
        guard let store else { return true }
        return store.withSecret { secret in
            // Check every candidate so timing does not reveal which one matched.
            var matched = false
            for (name, value) in request.query.pairs where name == Self.queryParameterName {
                matched = Self.constantTimeEquals(value.utf8, secret) || matched
            }
            for (name, value) in request.headers where Self.isAuthorization(name) {
                if let token = Self.bearerToken(value) { matched = Self.constantTimeEquals(token, secret) || matched }
            }
            return matched
        }
    }

    /// Whether a header name is `Authorization`, in any case.
    private static func isAuthorization(_ name: String) -> Bool {
        name.utf8.count == 13 && name.utf8.elementsEqual("authorization".utf8) { $0 | 0x20 == $1 }
    }

    /// The token of `Bearer TOKEN` (the scheme in any case, spaces around the token
    /// dropped); `nil` for any other scheme.
    private static func bearerToken(_ value: String) -> Substring.UTF8View? {
        let bytes = value.utf8
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
            bytes[..<space].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 })
        else { return nil }
        var token = value[bytes.index(after: space)...].utf8
        while token.first == UInt8(ascii: " ") { token = token.dropFirst() }
        while token.last == UInt8(ascii: " ") { token = token.dropLast() }
        return token
    }

    /// The 401 response: says how to authenticate, never what the secret is.
    public static let unauthorizedResponse: HTTPResponse = {
        var headers = HealthHeaders.noCache
        headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"healthhost\"")
        return .error(
            .unauthorized, code: "unauthorized",
            message: "missing or wrong secret: pass it as ?auth=SECRET or as the header 'Authorization: Bearer SECRET'",
            headers: headers)
    }()

    /// Compares without an early exit, so the time taken does not depend on where the
    /// inputs differ (only on the presented length).
    static func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        for (index, byte) in lhs.enumerated() {
            difference |= byte ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0 && lhs.count == rhs.count
    }
}

/// The current secret, shared by every copy of one ``SharedSecretAuth``.
private final class SecretStore: Sendable {
    private let current: NIOLockedValueBox<[UInt8]>

    init(_ secret: [UInt8]) { current = NIOLockedValueBox(secret) }

    var value: [UInt8] { current.withLockedValue { $0 } }

    /// `body` given the secret in place (under the lock: keep it short).
    func withSecret<Result>(_ body: ([UInt8]) -> Result) -> Result { current.withLockedValue { body($0) } }

    func replace(with secret: [UInt8]) -> Bool {
        current.withLockedValue { value in
            defer { value = secret }
            return value != secret
        }
    }
}
