import HealthCore
import HealthPluginABI
import NIOConcurrencyHelpers

/// What a plugin's `info` function (ABI 1.1) reported: its section's entries in the order
/// given, or why there are none.
public enum PluginInfo: Sendable {
    /// The entries, keys unique, in first-put order.
    case entries([(key: String, value: String)])
    /// The call failed, was refused or is still running.
    case failed(String)
}

extension LoadedPlugin {
    /// Most entries kept from one info call.
    public static let maximumInfoEntries = 256
    /// Longest info key kept, in bytes.
    public static let maximumInfoKeyBytes = 128
    /// Longest info value kept, in bytes.
    public static let maximumInfoValueBytes = 4096

    /// Calls the plugin's `info` function. Blocking: call it on a worker thread. A call
    /// while an earlier one has not returned (a hung plugin) fails at once rather than
    /// stacking threads. `nil` when the plugin has no info section.
    public func readInfo() -> PluginInfo? {
        if let worker {
            guard descriptor.infoSection != nil else { return nil }
            guard beginCall() else { return .failed("the plugin has been shut down") }
            defer { endCall() }
            return worker.readInfo(timeout: .seconds(5))
        }
        guard let function = descriptor.hooks.info else { return nil }
        guard
            infoGate.withLockedValue({ running in
                if running { return false }
                running = true
                return true
            })
        else {
            return .failed("the previous info call has not returned yet")
        }
        defer { infoGate.withLockedValue { $0 = false } }
        guard beginCall() else { return .failed("the plugin has been shut down") }
        defer { endCall() }
        let collector = InfoCollector()
        var info = hh_info(
            struct_size: UInt32(MemoryLayout<hh_info>.size),
            host_context: Unmanaged.passUnretained(collector).toOpaque(), put: infoPutCallback)
        let status = withExtendedLifetime(collector) { function(UnsafePointer(host.table), &info) }
        guard status == 0 else {
            let reason = collector.entries.first { $0.key == "error" }?.value ?? "no reason given"
            return .failed("the plugin's info function failed (returned \(status)): \(reason)")
        }
        return .entries(collector.entries)
    }
}

/// Gathers `put` calls during one `info` call (only ever touched by that call's thread).
final class InfoCollector {
    private(set) var entries: [(key: String, value: String)] = []
    private var indexByKey: [String: Int] = [:]

    func put(key: String, value: String) {
        guard !key.isEmpty, key.utf8.count <= LoadedPlugin.maximumInfoKeyBytes else { return }
        let value = value.truncatedToUTF8(maxBytes: LoadedPlugin.maximumInfoValueBytes)
        if let index = indexByKey[key] {
            entries[index].value = value
        } else if entries.count < LoadedPlugin.maximumInfoEntries {
            indexByKey[key] = entries.count
            entries.append((key, value))
        }
    }
}

private let infoPutCallback: @convention(c) (UnsafeMutablePointer<hh_info>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    info, key, value in
    guard let context = info?.pointee.host_context, let key = string(key), let value = string(value) else { return }
    Unmanaged<InfoCollector>.fromOpaque(context).takeUnretainedValue().put(key: key, value: value)
}
