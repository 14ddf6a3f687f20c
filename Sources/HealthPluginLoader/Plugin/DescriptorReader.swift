import HealthCore
import HealthPluginABI
import HealthSwiftVersion

/// Validates a plugin descriptor against the header's rules and copies it into Swift
/// values. Every rule broken is an error naming the field, what was expected and what
/// was found.
struct DescriptorReader {
    let path: String

    static let maximumChecks = 1024
    static let maximumParameters = 16
    /// Check flags a plugin built for ABI 1.0 or 1.1 may set.
    static let knownCheckFlags = UInt32(HH_CHECK_DEFAULT | HH_CHECK_THREAD_SAFE)
    /// Check flags from ABI 1.2 on.
    static let knownCheckFlags12 = knownCheckFlags | UInt32(HH_CHECK_ARGS_IN_CALL)
    static let knownParameterFlags = UInt32(HH_PARAM_SECRET)
    /// sizeof(hh_plugin) in ABI 1.0: everything before the 1.1 fields.
    static let abi10DescriptorSize = MemoryLayout<hh_plugin>.offset(of: \hh_plugin.info_section) ?? MemoryLayout<hh_plugin>.size

    func read(_ pointer: UnsafePointer<hh_plugin>) throws(PluginLoadError) -> PluginDescriptor {
        // Only the first two fields may be read before the version and size are known.
        let raw = UnsafeRawPointer(pointer)
        let abi = ABIVersion(encoded: raw.load(as: UInt32.self))
        let structSize = Int(raw.load(fromByteOffset: 4, as: UInt32.self))
        let host = ABIVersion.host
        guard abi.major == host.major, abi.minor <= host.minor else {
            throw PluginLoadError(
                .abiMismatch, path: path,
                "plugin built for ABI \(abi), this host supports ABI \(host.major).0 to \(host); "
                    + (abi.major == host.major
                        ? "upgrade healthhost or rebuild the plugin against this host's healthhost_plugin.h"
                        : "rebuild the plugin against this host's healthhost_plugin.h"))
        }
        let minimum = Self.abi10DescriptorSize
        guard structSize >= minimum else {
            throw invalid(
                "struct_size is \(structSize), expected at least \(minimum) (sizeof(hh_plugin) in ABI 1.0); "
                    + "start the descriptor's initialiser with HH_PLUGIN_HEADER")
        }
        // Copy only the bytes the plugin has: a 1.0 descriptor ends before the 1.1 fields,
        // which then stay zero (NULL).
        var plugin = hh_plugin()
        withUnsafeMutableBytes(of: &plugin) { destination in
            destination.copyMemory(
                from: UnsafeRawBufferPointer(start: raw, count: min(structSize, MemoryLayout<hh_plugin>.size)))
        }
        let name = try requiredName(plugin.name, field: "name")
        guard let version = string(plugin.version), !version.isEmpty, version.utf8.count <= 64 else {
            throw invalid("plugin '\(name)': version must be 1 to 64 bytes of text, found \(quoted(plugin.version))")
        }
        var infoSection: String?
        if plugin.info != nil {
            infoSection = plugin.info_section == nil ? name : try requiredName(plugin.info_section, field: "plugin '\(name)': info_section")
        }
        let swiftVersion = string(plugin.swift_version)
        if let swiftVersion, swiftVersion != SwiftRuntimeVersion.host {
            throw PluginLoadError(
                .swiftVersionMismatch, path: path,
                "plugin '\(name)' was built with Swift \(swiftVersion), this host runs Swift \(SwiftRuntimeVersion.host); "
                    + "a Swift plugin shares the host's Swift runtime, which has no stable ABI on Linux: "
                    + "rebuild the plugin with Swift \(SwiftRuntimeVersion.host)")
        }
        let checks = try readChecks(plugin, pluginName: name, abi: abi)
        return PluginDescriptor(
            name: name, version: version, summary: string(plugin.summary) ?? "", abiVersion: abi,
            swiftVersion: swiftVersion, checks: checks,
            infoSection: infoSection,
            hooks: PluginHooks(initialize: plugin.`init`, shutdown: plugin.shutdown, info: plugin.info, validate: plugin.validate))
    }

    private func readChecks(_ plugin: hh_plugin, pluginName: String, abi: ABIVersion) throws(PluginLoadError) -> [CheckDescription] {
        let knownFlags = abi.minor >= 2 ? Self.knownCheckFlags12 : Self.knownCheckFlags
        let knownNames =
            abi.minor >= 2
            ? "HH_CHECK_DEFAULT, HH_CHECK_THREAD_SAFE and HH_CHECK_ARGS_IN_CALL"
            : "HH_CHECK_DEFAULT and HH_CHECK_THREAD_SAFE (HH_CHECK_ARGS_IN_CALL needs ABI 1.2)"
        let count = Int(plugin.check_count)
        guard count > 0 else { return [] }
        guard count <= Self.maximumChecks else {
            throw invalid("plugin '\(pluginName)': check_count is \(count), at most \(Self.maximumChecks) allowed")
        }
        guard let base = plugin.checks else {
            throw invalid("plugin '\(pluginName)': checks is NULL but check_count is \(count)")
        }
        let stride = Int(plugin.check_size)
        let minimum = MemoryLayout<hh_check>.size
        guard stride >= minimum, stride % MemoryLayout<hh_check>.alignment == 0 else {
            throw invalid(
                "plugin '\(pluginName)': check_size is \(stride), expected sizeof(hh_check) = \(minimum) or more "
                    + "(a multiple of \(MemoryLayout<hh_check>.alignment)); use HH_PLUGIN_CHECKS(array)")
        }
        var checks: [CheckDescription] = []
        var seen = Set<String>()
        for index in 0..<count {
            let check = UnsafeRawPointer(base).load(fromByteOffset: index * stride, as: hh_check.self)
            let label = "plugin '\(pluginName)': checks[\(index)]"
            let name = try requiredName(check.name, field: "\(label).name")
            guard seen.insert(name).inserted else {
                throw invalid("\(label): check name '\(name)' is used twice; check names must be unique in a plugin")
            }
            guard let run = check.run else { throw invalid("\(label) ('\(name)'): run is NULL") }
            let unknownFlags = check.flags & ~knownFlags
            guard unknownFlags == 0 else {
                throw invalid(
                    "\(label) ('\(name)'): unknown flag bits 0x\(String(unknownFlags, radix: 16)) "
                        + "(a plugin built for ABI \(abi) may set \(knownNames))")
            }
            let parameters = try readParameters(check, label: "\(label) ('\(name)')")
            checks.append(
                CheckDescription(
                    name: name, summary: string(check.summary) ?? "",
                    isDefault: check.flags & UInt32(HH_CHECK_DEFAULT) != 0,
                    isThreadSafe: check.flags & UInt32(HH_CHECK_THREAD_SAFE) != 0,
                    suggestedTimeout: check.timeout_ms > 0 ? .milliseconds(Int64(check.timeout_ms)) : nil,
                    parameters: parameters, argumentsInCall: check.flags & UInt32(HH_CHECK_ARGS_IN_CALL) != 0,
                    entryPoint: CheckEntryPoint(run: run, context: check.context)))
        }
        return checks
    }

    private func readParameters(_ check: hh_check, label: String) throws(PluginLoadError) -> [ParameterDescription] {
        let count = Int(check.param_count)
        guard count > 0 else { return [] }
        guard count <= Self.maximumParameters else {
            throw invalid("\(label): param_count is \(count), at most \(Self.maximumParameters) allowed")
        }
        guard let params = check.params else { throw invalid("\(label): params is NULL but param_count is \(count)") }
        var result: [ParameterDescription] = []
        for index in 0..<count {
            let param = params[index]
            let place = "\(label).params[\(index)]"
            let name = try requiredName(param.name, field: "\(place).name")
            guard !result.contains(where: { $0.name == name }) else {
                throw invalid("\(place): parameter name '\(name)' is used twice")
            }
            let kind: ParameterDescription.Kind
            switch param.type {
            case HH_PARAM_STRING.rawValue: kind = .string
            case HH_PARAM_INT.rawValue: kind = .int
            case HH_PARAM_DOUBLE.rawValue: kind = .double
            case HH_PARAM_BOOL.rawValue: kind = .bool
            default:
                throw invalid("\(place) ('\(name)'): type is \(param.type), expected an HH_PARAM_* value (1 to 4)")
            }
            let unknownFlags = param.flags & ~Self.knownParameterFlags
            guard unknownFlags == 0 else {
                throw invalid("\(place) ('\(name)'): unknown flag bits 0x\(String(unknownFlags, radix: 16))")
            }
            let defaultValue = string(param.default_value)
            if let defaultValue, ParameterValue.parse(defaultValue, as: kind) == nil {
                throw invalid("\(place) ('\(name)'): default_value '\(defaultValue)' is not a valid \(kind)")
            }
            result.append(
                ParameterDescription(
                    name: name, kind: kind, isSecret: param.flags & UInt32(HH_PARAM_SECRET) != 0,
                    defaultValue: defaultValue, summary: string(param.summary) ?? ""))
        }
        return result
    }

    private func requiredName(_ pointer: UnsafePointer<CChar>?, field: String) throws(PluginLoadError) -> String {
        guard let name = string(pointer) else { throw invalid("\(field) is NULL") }
        if let problem = HealthName.problem(with: name) { throw invalid("\(field) '\(name)' \(problem)") }
        return name
    }

    private func invalid(_ message: String) -> PluginLoadError {
        PluginLoadError(.invalidDescriptor, path: path, message)
    }

    private func quoted(_ pointer: UnsafePointer<CChar>?) -> String {
        string(pointer).map { "'\($0)'" } ?? "NULL"
    }
}

/// Reads a plugin-owned C string, repairing invalid UTF-8.
func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)), as: UTF8.self)
}
