import HealthPluginABI

/// Writes lines to the host's log, attributed to the plugin. Thread-safe. Never log
/// secrets: the host replaces the values of `secret: true` parameters with `********`,
/// but cannot tell any other secret from text.
public struct PluginLog: @unchecked Sendable {
    // The host table is immutable, valid for the life of the process, and its `log`
    // is thread-safe (ABI contract), so sharing the pointer across threads is safe.
    let host: UnsafePointer<hh_host>?

    /// A debugging detail.
    public func debug(_ message: String) { write(Int32(HH_LOG_DEBUG), message) }
    /// Something worth knowing.
    public func info(_ message: String) { write(Int32(HH_LOG_INFO), message) }
    /// Something is wrong but the plugin copes.
    public func warning(_ message: String) { write(Int32(HH_LOG_WARNING), message) }
    /// Something failed.
    public func error(_ message: String) { write(Int32(HH_LOG_ERROR), message) }

    private func write(_ level: Int32, _ message: String) {
        guard let host, let log = host.pointee.log else { return }
        message.withCString { log(host, level, $0) }
    }
}
