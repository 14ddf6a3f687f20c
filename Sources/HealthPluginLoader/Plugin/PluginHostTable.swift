import HealthCore
import HealthPluginABI
import NIOConcurrencyHelpers
import Logging

/// What a plugin is told about its configuration: the JSON for `init` and the scalars
/// `config_get` answers by dotted key.
public struct PluginSettings: Sendable {
    /// The plugin's config as JSON text ("{}" when none).
    public var json: String
    /// Scalars by dotted key.
    public var scalars: [String: String]

    /// Creates settings.
    public init(json: String = "{}", scalars: [String: String] = [:]) {
        self.json = json
        self.scalars = scalars
    }
}

/// The per-plugin `hh_host` table and the Swift state behind it. Both live for the
/// life of the process, like the plugin itself.
final class PluginHostTable: Sendable {
    /// Longest log line kept from a plugin, in bytes.
    static let maximumLogBytes = 4096

    let logger: Logger
    private let configValues: ImmortalCStrings
    /// Values of this plugin's secret check arguments, scrubbed from what it logs.
    private let secrets = NIOLockedValueBox<[String]>([])
    /// The table handed to the plugin (never freed).
    nonisolated(unsafe) let table: UnsafeMutablePointer<hh_host>

    init(pluginName: String, path: String, settings: PluginSettings, logger: Logger) {
        var logger = logger
        logger[metadataKey: "plugin.name"] = "\(pluginName)"
        logger[metadataKey: "plugin.path"] = "\(path)"
        self.logger = logger
        self.configValues = ImmortalCStrings(settings.scalars)
        self.table = UnsafeMutablePointer<hh_host>.allocate(capacity: 1)
        table.initialize(
            to: hh_host(
                abi_version: UInt32(HH_ABI_VERSION_MAJOR << 16 | HH_ABI_VERSION_MINOR),
                struct_size: UInt32(MemoryLayout<hh_host>.size),
                host_version: HostVersionText.pointer,
                host_context: Unmanaged.passRetained(self).toOpaque(),
                log: pluginLogCallback,
                config_get: pluginConfigCallback))
    }

    /// Adds values of secret arguments bound to this plugin's checks.
    func addSecrets(_ values: [String]) {
        guard !values.isEmpty else { return }
        secrets.withLockedValue { $0.append(contentsOf: values) }
    }

    func log(level: Int32, message: String) {
        var text = message.truncatedToUTF8(maxBytes: Self.maximumLogBytes)
        let secrets = secrets.withLockedValue { $0 }
        if !secrets.isEmpty { text = SecretScrubbing.scrub(text, secrets) }
        switch Int(level) {
        case Int(HH_LOG_DEBUG): logger.debug("\(text)")
        case Int(HH_LOG_INFO): logger.info("\(text)")
        case Int(HH_LOG_WARNING): logger.warning("\(text)")
        default: logger.error("\(text)")
        }
    }

    func configValue(for key: String) -> UnsafePointer<CChar>? {
        configValues[key]
    }

    static func from(_ host: UnsafePointer<hh_host>?) -> PluginHostTable? {
        guard let context = host?.pointee.host_context else { return nil }
        return Unmanaged<PluginHostTable>.fromOpaque(context).takeUnretainedValue()
    }
}

private let pluginLogCallback: @convention(c) (UnsafePointer<hh_host>?, Int32, UnsafePointer<CChar>?) -> Void = {
    host, level, message in
    guard let table = PluginHostTable.from(host), let text = string(message) else { return }
    table.log(level: level, message: text)
}

private let pluginConfigCallback: @convention(c) (UnsafePointer<hh_host>?, UnsafePointer<CChar>?) -> UnsafePointer<CChar>? = {
    host, key in
    guard let table = PluginHostTable.from(host), let key = string(key) else { return nil }
    return table.configValue(for: key)
}

/// C strings that are never freed, for pointers handed to plugins "for the life of the
/// process".
struct ImmortalCStrings: @unchecked Sendable {
    // Immutable after init; the pointers are never freed.
    private let pointers: [String: UnsafePointer<CChar>]

    init(_ values: [String: String]) {
        pointers = values.compactMapValues { value in strdup(value).map { UnsafePointer($0) } }
    }

    subscript(key: String) -> UnsafePointer<CChar>? { pointers[key] }
}

/// The host version text handed to plugins.
enum HostVersionText {
    /// healthhost's version.
    static let version = "0.1.0"
    nonisolated(unsafe) static let pointer: UnsafePointer<CChar>? = strdup("healthhost \(version)").map { UnsafePointer($0) }
}
