import HealthPluginABI

/// The host, as the plugin's start hook sees it: its version, its log and this
/// plugin's configuration scalars.
public struct PluginHost: @unchecked Sendable {
    // See PluginLog: the host table is immutable and valid for the process's life.
    let table: UnsafePointer<hh_host>?

    /// Writes to the host's log, attributed to this plugin.
    public var log: PluginLog { PluginLog(host: table) }

    /// The host's version text, e.g. "healthhost 0.1.0".
    public var version: String {
        guard let text = table?.pointee.host_version else { return "unknown" }
        return String(cString: text)
    }

    /// One scalar of this plugin's configuration by dotted key (e.g. "database.host"),
    /// as text; `nil` when missing or when it names a list or a map.
    public func setting(_ key: String) -> String? {
        guard let table, let get = table.pointee.config_get else { return nil }
        return key.withCString { get(table, $0) }.map { String(cString: $0) }
    }
}
