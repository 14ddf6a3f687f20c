public import HealthJSON
import HealthHTTP

/// The facts behind the environment and info endpoints (`/environment`,
/// `/.well-known/heartbeat/environ`, `/z/info`), gathered by the host at start-up, plus
/// the plugins' info sections, read when requested.
public struct EnvironmentReport: Sendable {
    /// The machine's host name (the pod name in Kubernetes).
    public var hostname: String
    /// The service's name and version (`service` in the config).
    public var serviceName: String
    /// The configured version, else `VERSION` from the environment, else `unknown`.
    public var serviceVersion: String
    /// Built-in sections by name: `os`, `runtime`, `process`, `config`, `plugins`.
    public var sections: [String: JSONValue]
    /// Loaded plugins and their versions, for heartbeat's `libraries`.
    public var libraries: [String: String]
    /// The Swift version the host was built with, as numbers (`[6, 2]`).
    public var runtimeVersion: [Int]
    /// OpenTelemetry resource attributes (`service.name`, `host.name`, `k8s.pod.name`...).
    public var resourceAttributes: [String: JSONValue]
    /// Sections contributed by plugins (ABI 1.1 `info`), in load order.
    public var pluginSections: [PluginInfoSection]

    /// Names a plugin's info section may not take: the built-in sections of every
    /// environment endpoint.
    public static let reservedSectionNames: Set<String> = [
        "os", "runtime", "process", "config", "plugins", "app", "libraries", "status", "trace.attributes", "swift",
    ]

    /// Creates a report.
    public init(
        hostname: String = "localhost", serviceName: String = "healthhost", serviceVersion: String = "unknown", sections: [String: JSONValue] = [:],
        libraries: [String: String] = [:], runtimeVersion: [Int] = [], resourceAttributes: [String: JSONValue] = [:],
        pluginSections: [PluginInfoSection] = []
    ) {
        self.hostname = hostname
        self.serviceName = serviceName
        self.serviceVersion = serviceVersion
        self.sections = sections
        self.libraries = libraries
        self.runtimeVersion = runtimeVersion
        self.resourceAttributes = resourceAttributes
        self.pluginSections = pluginSections
    }

    /// Reads every plugin section concurrently: each section's entries, or
    /// `{"error": "..."}` for one that could not be read (then `anyFailed` is true).
    func readPluginSections() async -> (sections: [String: JSONValue], anyFailed: Bool) {
        await withTaskGroup(of: (String, Result<[String: String], InfoSectionReadError>).self) { group in
            for section in pluginSections {
                group.addTask { (section.name, await section.read()) }
            }
            var sections: [String: JSONValue] = [:]
            var anyFailed = false
            for await (name, reading) in group {
                switch reading {
                case .success(let entries):
                    sections[name] = .object(entries.mapValues(JSONValue.string))
                case .failure(let failure):
                    anyFailed = true
                    sections[name] = .object(["error": .string(failure.reason)])
                }
            }
            return (sections, anyFailed)
        }
    }
}

/// One plugin's info section: its name and how to read it (off the event loop, bounded
/// in time).
public struct PluginInfoSection: Sendable {
    /// The section name.
    public let name: String
    /// The plugin that contributes it.
    public let plugin: String
    /// Reads the entries, or why they could not be read.
    public let read: @Sendable () async -> Result<[String: String], InfoSectionReadError>

    /// Creates a section.
    public init(
        name: String, plugin: String, read: @escaping @Sendable () async -> Result<[String: String], InfoSectionReadError>
    ) {
        self.name = name
        self.plugin = plugin
        self.read = read
    }
}

/// Why a plugin's info section could not be read (its info function failed, or did not
/// return in time).
public struct InfoSectionReadError: Error {
    /// Shown as the section's `error`.
    public let reason: String

    /// Creates the error.
    public init(reason: String) { self.reason = reason }
}

extension JSONValue {
    /// The replacement for a redacted value.
    public static let redactedText = "********"

    /// Whether a key names something secret: it contains `key`, `token`, `pass` or
    /// `secret`, in any case (the seed's rule, plus `secret`).
    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["key", "token", "pass", "secret"].contains { lowered.contains($0) }
    }

    /// The value with every object entry whose key is secret replaced by `********`, at
    /// every depth; in every other string, the password of a URL (`scheme://user:PASSWORD@`)
    /// and each occurrence of `knownSecret` are replaced too.
    public func redactingSecrets(knownSecret: String? = nil) -> JSONValue {
        switch self {
        case .object(let entries):
            return .object(
                entries.reduce(into: [:]) { result, entry in
                    result[entry.key] =
                        Self.isSecretKey(entry.key)
                        ? .string(Self.redactedText) : entry.value.redactingSecrets(knownSecret: knownSecret)
                })
        case .array(let items):
            return .array(items.map { $0.redactingSecrets(knownSecret: knownSecret) })
        case .string(let text):
            var redacted = Self.redactingURLPasswords(in: text)
            if let knownSecret, !knownSecret.isEmpty, redacted.contains(knownSecret) {
                redacted = redacted.replacing(knownSecret, with: Self.redactedText)
            }
            return .string(redacted)
        default:
            return self
        }
    }

    /// `postgres://app:hunter2@db/app` → `postgres://app:********@db/app`.
    static func redactingURLPasswords(in text: String) -> String {
        guard text.contains("://"), text.contains("@") else { return text }
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.firstRange(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == " " || $0 == "?" || $0 == "#" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                result += authority[...colon] + Self.redactedText + authority[at...]
                rest = rest[authorityEnd...]
            }
        }
        return result + rest
    }
}
