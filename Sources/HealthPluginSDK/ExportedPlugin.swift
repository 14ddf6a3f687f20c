import HealthPluginABI
import HealthSwiftVersion
import Synchronization

/// The plugin of this library, turned into C once: an immortal `hh_plugin` with
/// `strdup`'d strings and one retained box per check as its `context`. Nothing is ever
/// freed, matching the host's rule that plugins are never unloaded.
final class ExportedPlugin: Sendable {
    let plugin: Plugin
    private let descriptorAddress: UInt

    private init(plugin: Plugin, descriptor: UnsafePointer<hh_plugin>) {
        self.plugin = plugin
        self.descriptorAddress = UInt(bitPattern: descriptor)
    }

    var descriptor: UnsafePointer<hh_plugin>? { UnsafePointer(bitPattern: descriptorAddress) }

    /// The one exported plugin of this library (each library embeds its own SDK copy).
    private static let current = Mutex<ExportedPlugin?>(nil)

    static var plugin: Plugin? { current.withLock { $0?.plugin } }

    static func export(_ plugin: Plugin) -> UnsafePointer<hh_plugin>? {
        current.withLock { current in
            if let existing = current { return existing.descriptor }
            let exported = ExportedPlugin(plugin: plugin, descriptor: makeDescriptor(plugin))
            current = exported
            return exported.descriptor
        }
    }

    private static func makeDescriptor(_ plugin: Plugin) -> UnsafePointer<hh_plugin> {
        let checks = UnsafeMutablePointer<hh_check>.allocate(capacity: max(1, plugin.checks.count))
        for (index, check) in plugin.checks.enumerated() {
            var entry = hh_check()
            entry.name = immortal(check.name)
            entry.summary = check.summary.isEmpty ? nil : immortal(check.summary)
            entry.run = runTrampoline
            entry.context = UnsafeRawPointer(Unmanaged.passRetained(CheckBox(check)).toOpaque())
            entry.flags = (check.isDefault ? UInt32(HH_CHECK_DEFAULT) : 0) | (check.isThreadSafe ? UInt32(HH_CHECK_THREAD_SAFE) : 0)
            if !check.parameters.isEmpty {
                // Arguments arrive in hh_call.args: one trampoline serves every signature.
                entry.flags |= UInt32(HH_CHECK_ARGS_IN_CALL)
                entry.params = makeParameters(check.parameters)
                entry.param_count = UInt32(clamping: check.parameters.count)
            }
            entry.timeout_ms = check.timeout.map(milliseconds) ?? 0
            (checks + index).initialize(to: entry)
        }
        var descriptor = hh_plugin()
        descriptor.abi_version = UInt32(HH_ABI_VERSION_MAJOR << 16 | HH_ABI_VERSION_MINOR)
        descriptor.struct_size = UInt32(MemoryLayout<hh_plugin>.size)
        descriptor.name = immortal(plugin.name)
        descriptor.version = immortal(plugin.version)
        descriptor.summary = plugin.summary.isEmpty ? nil : immortal(plugin.summary)
        descriptor.checks = UnsafePointer(checks)
        descriptor.check_count = UInt32(clamping: plugin.checks.count)
        descriptor.check_size = UInt32(MemoryLayout<hh_check>.stride)
        descriptor.`init` = initTrampoline
        descriptor.shutdown = shutdownTrampoline
        if plugin.infoBody != nil {
            descriptor.info_section = plugin.infoSection.map(immortal) ?? nil
            descriptor.info = infoTrampoline
        }
        descriptor.swift_version = immortal(SwiftRuntimeVersion.host)
        let storage = UnsafeMutablePointer<hh_plugin>.allocate(capacity: 1)
        storage.initialize(to: descriptor)
        return UnsafePointer(storage)
    }

    private static func makeParameters(_ declarations: [ParameterDeclaration]) -> UnsafePointer<hh_param> {
        let params = UnsafeMutablePointer<hh_param>.allocate(capacity: declarations.count)
        for (index, declaration) in declarations.enumerated() {
            var param = hh_param()
            param.name = immortal(declaration.name)
            param.type = declaration.type.rawValue
            param.flags = declaration.isSecret ? UInt32(HH_PARAM_SECRET) : 0
            param.default_value = declaration.defaultText.map(immortal) ?? nil
            param.summary = declaration.summary.isEmpty ? nil : immortal(declaration.summary)
            (params + index).initialize(to: param)
        }
        return UnsafePointer(params)
    }

    private static func immortal(_ text: String) -> UnsafePointer<CChar>? {
        UnsafePointer(strdup(text))
    }

    private static func milliseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let total = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return total >= Double(UInt32.max) ? UInt32.max : UInt32(max(1, total.rounded()))
    }
}

/// A check kept alive for the life of the process, reachable from `hh_call.context`.
final class CheckBox: Sendable {
    let check: Check
    init(_ check: Check) { self.check = check }
}

/// Every check of every Swift plugin runs through here: finds the check from the
/// context, runs the closure, turns a thrown error into `fail`, copies the result.
private let runTrampoline: hh_check_fn = { call, out in
    guard let call, let out else { return Int32(HH_FAIL) }
    guard let context = call.pointee.context else {
        ResultWriter.copy("SDK error: the check has no context", into: out.pointee.message, capacity: Int(out.pointee.message_capacity))
        return Int32(HH_FAIL)
    }
    let check = Unmanaged<CheckBox>.fromOpaque(context).takeUnretainedValue().check
    let name = call.pointee.configured_name.map { String(cString: $0) } ?? check.name
    let checkContext = CheckContext(
        configuredName: name, timeout: .milliseconds(Int64(call.pointee.timeout_ms)), log: PluginLog(host: call.pointee.host),
        arguments: check.parameters.isEmpty ? CheckArguments() : CheckArguments(call: call))
    let result: CheckResult
    do {
        result = try check.body(checkContext)
    } catch {
        result = .fail(ResultWriter.describe(error))
    }
    ResultWriter.write(result, to: out)
    return result.status.rawValue
}

private let initTrampoline: hh_init_fn = { host, json, error, capacity in
    guard let plugin = ExportedPlugin.plugin else {
        ResultWriter.copy("SDK error: no plugin was exported", into: error, capacity: capacity)
        return 1
    }
    guard let start = plugin.start else { return 0 }
    do {
        try start(json.map { String(cString: $0) } ?? "{}", PluginHost(table: host))
        return 0
    } catch let failure {
        ResultWriter.copy(ResultWriter.describe(failure), into: error, capacity: capacity)
        return 1
    }
}

private let shutdownTrampoline: hh_shutdown_fn = { host in
    ExportedPlugin.plugin?.stop?(PluginHost(table: host))
}

private let infoTrampoline: hh_info_fn = { _, info in
    guard let info, let put = info.pointee.put, let body = ExportedPlugin.plugin?.infoBody else { return 1 }
    do {
        for (key, value) in try body().sorted(by: { $0.key < $1.key }) {
            key.withCString { key in value.withCString { value in put(info, key, value) } }
        }
        return 0
    } catch {
        "error".withCString { key in ResultWriter.describe(error).withCString { value in put(info, key, value) } }
        return 1
    }
}
