/// An `http://host[:port]/path` URL, as remote health endpoints are given in the config.
/// Only plain HTTP for those: a health host calls services inside its own network, and
/// NIO's TLS would bring a TLS stack into every host for a rare need. The span exporter
/// alone takes `https://` (a collector elsewhere), which it sends through libcurl.
public struct HTTPTarget: Sendable, Equatable, CustomStringConvertible {
    /// Host name or IPv4 address.
    public let host: String
    /// TCP port.
    public let port: Int
    /// Path and query, starting with `/`.
    public let pathAndQuery: String
    /// `https://` (only where ``parse(_:defaultPath:allowingHTTPS:)`` allowed it).
    public let isHTTPS: Bool

    /// Creates a target.
    public init(host: String, port: Int? = nil, pathAndQuery: String = "/", isHTTPS: Bool = false) {
        self.host = host
        self.port = port ?? (isHTTPS ? 443 : 80)
        self.pathAndQuery = pathAndQuery
        self.isHTTPS = isHTTPS
    }

    /// Parses `http://host[:port][/path]`, or `host[:port]` with `defaultPath`, and
    /// `https://` too when `allowingHTTPS`. Throws a message saying what is wrong.
    public static func parse(_ text: String, defaultPath: String, allowingHTTPS: Bool = false) throws(TargetError) -> HTTPTarget {
        var rest = Substring(text)
        var hasScheme = false
        var isHTTPS = false
        if let range = rest.firstRange(of: "://") {
            let scheme = rest[..<range.lowerBound].lowercased()
            isHTTPS = scheme == "https" && allowingHTTPS
            guard scheme == "http" || isHTTPS else {
                throw TargetError(
                    allowingHTTPS
                        ? "'\(text)': expected http:// or https://, found \(scheme)://"
                        : "'\(text)': only http:// is supported (found \(scheme)://); reach the service over plain HTTP inside the cluster")
            }
            rest = rest[range.upperBound...]
            hasScheme = true
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        if path.isEmpty { path = hasScheme ? "/" : defaultPath }
        guard !authority.isEmpty else { throw TargetError("'\(text)': no host name") }
        guard !authority.contains("@") else { throw TargetError("'\(text)': user info (user@host) is not supported") }
        var host = String(authority)
        var port = isHTTPS ? 443 : 80
        if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw TargetError("'\(text)': the port must be a number from 1 to 65535")
            }
            port = number
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
        guard !host.isEmpty, host.allSatisfy(allowed.contains) else {
            throw TargetError("'\(text)': '\(host)' is not a valid host name")
        }
        guard !path.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" || $0 == "#" }) else {
            throw TargetError("'\(text)': the path must not contain spaces, line breaks or '#'")
        }
        return HTTPTarget(host: host, port: port, pathAndQuery: path, isHTTPS: isHTTPS)
    }

    public var description: String {
        isHTTPS
            ? "https://\(host)\(port == 443 ? "" : ":\(port)")\(pathAndQuery)"
            : "http://\(host)\(port == 80 ? "" : ":\(port)")\(pathAndQuery)"
    }

    /// Why a URL was refused.
    public struct TargetError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
