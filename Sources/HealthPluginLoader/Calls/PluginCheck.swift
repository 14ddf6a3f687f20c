import CProcessSupport
public import HealthCore
import HealthPluginABI

/// One plugin check as a ``CheckImplementation``: calls the C function with
/// host-owned buffers and turns what it wrote into a ``CheckResult``.
public struct PluginCheck: CheckImplementation {
    /// Bytes of the message buffer handed to the plugin, including the NUL.
    public static let messageCapacity = 1024
    /// Bytes of the unit buffer, including the NUL.
    public static let unitCapacity = 32

    let plugin: LoadedPlugin
    /// What the plugin declares for this check.
    public let check: CheckDescription
    /// The configured arguments; `nil` until ``binding(_:)`` for a check with parameters.
    let arguments: BoundArguments?
    /// For an isolated plugin: the binding its worker knows these arguments by.
    let workerBinding: Int?

    init(plugin: LoadedPlugin, check: CheckDescription, arguments: BoundArguments? = nil, workerBinding: Int? = nil) {
        self.plugin = plugin
        self.check = check
        self.arguments = arguments
        self.workerBinding = workerBinding
    }

    /// This check with its arguments: `values[i]` is the value of `check.parameters[i]`,
    /// of that parameter's kind (see ``ParameterValue/parse(_:as:)``). Prepares the C
    /// call once; the returned check passes the values on every run.
    public func binding(_ values: [ParameterValue]) throws(PluginLoadError) -> PluginCheck {
        for (parameter, value) in zip(check.parameters, values) where value.kind != parameter.kind {
            throw PluginLoadError(
                .invalidDescriptor, path: plugin.path,
                "check '\(source)': parameter '\(parameter.name)' is \(parameter.kind), given \(value.kind)")
        }
        do {
            let bound = try BoundArguments(parameters: check.parameters, values: values, argumentsInCall: check.argumentsInCall)
            plugin.host.addSecrets(bound.secrets)
            if let validate = plugin.descriptor.hooks.validate {
                var error = [CChar](repeating: 0, count: 1024)
                let capacity = error.count
                let status = check.name.withCString { name in
                    validate(UnsafePointer(plugin.host.table), name, UnsafePointer(bound.args), UInt32(bound.count), &error, capacity)
                }
                if status != 0 {
                    error[capacity - 1] = 0
                    let reason = error.withUnsafeBufferPointer { string($0.baseAddress) } ?? ""
                    throw PluginLoadError(
                        .invalidArguments, path: plugin.path,
                        bound.scrubbing(reason.isEmpty ? "check '\(source)' refused its arguments (returned \(status))" : reason))
                }
            }
            let binding = try plugin.worker.map { worker throws(PluginLoadError) in try worker.bind(check: check.name, values: values) }
            return PluginCheck(plugin: plugin, check: check, arguments: bound, workerBinding: binding)
        } catch let error as PluginLoadError {
            throw error
        } catch {
            throw PluginLoadError(.invalidDescriptor, path: plugin.path, "check '\(source)': \(error)")
        }
    }

    public var source: String { "\(plugin.name).\(check.name)" }
    public var suggestedTimeout: Duration? { check.suggestedTimeout }
    public var isDefaultByDefault: Bool { check.isDefault }
    /// `plugin.check` for a check without HH_CHECK_THREAD_SAFE: the engine then never
    /// calls it concurrently, across every configured check it backs.
    public var serializationKey: String? { check.isThreadSafe ? nil : source }

    public func run(_ invocation: CheckInvocation) -> CheckResult {
        guard check.parameters.isEmpty || arguments != nil else {
            return .fail("check \(source) declares parameters but was registered without arguments")
        }
        guard plugin.beginCall() else { return .fail("not run: the plugin has been shut down") }
        defer { plugin.endCall() }
        if let worker = plugin.worker {
            let result = worker.call(
                check: check.name, binding: workerBinding, configuredName: invocation.configuredName,
                timeout: invocation.timeout)
            guard let arguments, !arguments.secrets.isEmpty else { return result }
            var scrubbed = result
            scrubbed.message = arguments.scrubbing(result.message)
            return scrubbed
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: Self.messageCapacity) { message in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: Self.unitCapacity) { unit in
                call(invocation, message: message, unit: unit)
            }
        }
    }

    private func call(
        _ invocation: CheckInvocation, message: UnsafeMutableBufferPointer<CChar>, unit: UnsafeMutableBufferPointer<CChar>
    ) -> CheckResult {
        guard let messageBase = message.baseAddress, let unitBase = unit.baseAddress, let entryPoint = check.entryPoint else {
            return .fail("internal error: no result buffer or no entry point")
        }
        messageBase.initialize(repeating: 0, count: message.count)
        unitBase.initialize(repeating: 0, count: unit.count)
        var result = hh_result(
            struct_size: UInt32(MemoryLayout<hh_result>.size), message_capacity: UInt32(message.count),
            message: messageBase, unit_capacity: UInt32(unit.count), unit: unitBase,
            has_observed_value: false, observed_value: 0)
        let timeoutMs = UInt32(
            clamping: invocation.timeout.components.seconds * 1000
                + invocation.timeout.components.attoseconds / 1_000_000_000_000_000)
        let label = "plugin '\(plugin.name)' check '\(check.name)' (configured as '\(invocation.configuredName)')"
        let status = invocation.configuredName.withCString { name in
            label.withCString { label in
                hh_crash_report_enter(label)
                defer { hh_crash_report_leave() }
                var call = hh_call(
                    struct_size: UInt32(MemoryLayout<hh_call>.size), timeout_ms: timeoutMs,
                    host: UnsafePointer(plugin.host.table), context: entryPoint.context, configured_name: name,
                    args: arguments.map { UnsafePointer($0.args) }, arg_count: UInt32(arguments?.count ?? 0))
                if let native = arguments?.nativeCall {
                    return native.invoke(entryPoint.run, call: &call, result: &result)
                }
                return entryPoint.run(&call, &result)
            }
        }
        // The plugin may have overwritten the terminators: the host's buffers end in NUL.
        messageBase[message.count - 1] = 0
        unitBase[unit.count - 1] = 0
        var text = string(messageBase) ?? ""
        if let arguments, !arguments.secrets.isEmpty { text = arguments.scrubbing(text) }
        let observed = result.has_observed_value && result.observed_value.isFinite ? result.observed_value : nil
        let unitText = observed == nil ? "" : string(unitBase) ?? ""
        guard let checkStatus = CheckStatus(rawValue: Int(status)) else {
            let detail = text.isEmpty ? "" : " (message: \(text))"
            return .fail("plugin returned invalid status \(status), expected HH_PASS, HH_WARN or HH_FAIL\(detail)")
        }
        return CheckResult(status: checkStatus, message: text, observedValue: observed, observedUnit: unitText)
    }
}
