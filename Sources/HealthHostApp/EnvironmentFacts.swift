import HealthJSON
import HealthConfig
import HealthCore
import HealthDialects
import HealthHTTP
import HealthPOSIX
import HealthPluginLoader
import HealthSwiftVersion

#if canImport(Glibc)
import Glibc
#endif

/// Gathers what the environment and info endpoints show: OS, Swift runtime, process,
/// config, plugins, OpenTelemetry resource attributes and the plugins' info sections.
/// Secrets are redacted by the endpoints (by key name); check arguments declared secret
/// are replaced here, whatever their key.
enum EnvironmentFacts {
    static func gather(
        loaded: LoadedConfiguration, plugins: PluginSet, engine: CheckEngine, environment: [String: String]
    ) -> EnvironmentReport {
        let config = loaded.configuration
        let hostname = currentHostname()
        let serviceName = config.service.name ?? environment["OTEL_SERVICE_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "healthhost"
        let serviceVersion = config.service.version ?? environment["VERSION"].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
        let sections: [String: JSONValue] = [
            "os": osSection(hostname: hostname),
            "runtime": runtimeSection(),
            "process": processSection(
                environment: environment,
                shown: ServiceConfiguration.shownEnvironment.union(config.service.showEnvironment)),
            "config": configSection(loaded: loaded, plugins: plugins),
            "plugins": pluginsSection(plugins),
        ]
        let timeout = config.engine.timeout
        let pluginSections = plugins.plugins.compactMap { plugin -> PluginInfoSection? in
            guard let name = plugin.descriptor.infoSection else { return nil }
            return PluginInfoSection(name: name, plugin: plugin.name) {
                switch await engine.runBlocking(timeout: timeout, { plugin.readInfo() }) {
                case .entries(let entries)??:
                    return .success(entries.reduce(into: [:]) { $0[$1.key] = $1.value })
                case .failed(let reason)??:
                    return .failure(.init(reason: reason))
                case .some(nil):
                    return .success([:])
                case nil:
                    return .failure(.init(reason: "the plugin's info function did not return within \(timeout.humanReadable)"))
                }
            }
        }
        return EnvironmentReport(
            hostname: hostname, serviceName: serviceName, serviceVersion: serviceVersion, sections: sections,
            libraries: plugins.plugins.reduce(into: [:]) { $0[$1.name] = $1.descriptor.version },
            runtimeVersion: SwiftVersion.components,
            resourceAttributes: ResourceAttributes.gather(
                serviceName: serviceName, serviceVersion: serviceVersion, hostname: hostname, environment: environment),
            pluginSections: pluginSections)
    }

    /// Refuses info section names that are built in or used twice, naming both plugins.
    static func validateInfoSections(_ plugins: PluginSet) throws(StartupError) {
        var owners: [String: LoadedPlugin] = [:]
        for plugin in plugins.plugins {
            guard let section = plugin.descriptor.infoSection else { continue }
            if EnvironmentReport.reservedSectionNames.contains(section) {
                throw .plugin(
                    PluginLoadError(
                        .infoSectionConflict, path: plugin.path,
                        "plugin '\(plugin.name)': info section '\(section)' is the name of a built-in section "
                            + "(\(EnvironmentReport.reservedSectionNames.sorted().joined(separator: ", "))); set info_section to another name"))
            }
            if let other = owners[section] {
                throw .plugin(
                    PluginLoadError(
                        .infoSectionConflict, path: plugin.path,
                        "plugin '\(plugin.name)': info section '\(section)' is already contributed by plugin "
                            + "'\(other.name)' (\(other.path)); each section needs its own name"))
            }
            owners[section] = plugin
        }
    }

    /// `gethostname()`, as Python's `socket.gethostname()` (the pod name in Kubernetes).
    /// Not `ProcessInfo.hostName`, which may resolve the name through DNS and stall
    /// start-up where DNS is broken.
    static func currentHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: - Sections

    static func osSection(hostname: String) -> JSONValue {
        let names = SystemName.current()
        return .object([
            "platform": .string(names.system.lowercased()),
            "name": .string("posix"),
            "hostname": .string(hostname),
            "uname": .array([names.system, names.node, names.release, names.version, names.machine].map(JSONValue.string)),
            "release": .string(names.release),
            "version": .string(names.version),
            "machine": .string(names.machine),
            "processors": .int(CurrentProcess.activeProcessorCount),
        ])
    }

    static func runtimeSection() -> JSONValue {
        let executable = CurrentProcess.arguments.first.map { FilePaths.absolute($0) }
        return .object([
            "name": .string("swift"),
            "version": .string(SwiftVersion.text),
            "version_info": .array(SwiftVersion.components.map(JSONValue.int)),
            "executable": .string(executable),
            "healthhost_version": .string(HostApplication.version),
            "plugin_abi": .string(ABIVersion.host.description),
        ])
    }

    /// The process: argv, cwd, user, pid and the environment, every value masked unless
    /// its name is in `shown` (redacting by key name alone missed `MYSQL_PWD`, DSNs with
    /// keys, `GITHUB_PAT`, OTLP headers...).
    static func processSection(environment: [String: String], shown: Set<String>) -> JSONValue {
        let user = getpwuid(geteuid()).flatMap { $0.pointee.pw_name }.map { String(cString: $0) } ?? String(geteuid())
        return .object([
            "argv": .array(CurrentProcess.arguments.map(JSONValue.string)),
            "cwd": .string(FilePaths.workingDirectory()),
            "user": .string(user),
            "pid": .int(CurrentProcess.identifier),
            "environ": .object(
                Dictionary(
                    uniqueKeysWithValues: environment.map { name, value in
                        (name, JSONValue.string(shown.contains(name) ? value : JSONValue.redactedText))
                    })),
        ])
    }

    static func configSection(loaded: LoadedConfiguration, plugins: PluginSet) -> JSONValue {
        var values = loaded.values.json
        // Secret-declared check arguments are redacted whatever their key is called.
        guard case .object(var root) = values, case .array(var entries)? = root["checks"],
            let checks = loaded.configuration.checks
        else { return values }
        for (index, check) in checks.enumerated() where index < entries.count {
            guard let plugin = plugins.plugin(named: check.plugin),
                let declared = plugin.descriptor.checks.first(where: { $0.name == check.check }),
                case .object(var entry) = entries[index], case .object(var args)? = entry["args"]
            else { continue }
            for parameter in declared.parameters where parameter.isSecret && args[parameter.name] != nil {
                args[parameter.name] = .string(JSONValue.redactedText)
            }
            entry["args"] = .object(args)
            entries[index] = .object(entry)
        }
        root["checks"] = .array(entries)
        values = .object(root)
        return values
    }

    static func pluginsSection(_ plugins: PluginSet) -> JSONValue {
        var loaded: [String: JSONValue] = [:]
        for plugin in plugins.plugins {
            let descriptor = plugin.descriptor
            loaded[plugin.name] = .object([
                "path": .string(plugin.path),
                "sha256": .string(plugin.sha256),
                "abi_version": .string(descriptor.abiVersion.description),
                "swift_version": .string(descriptor.swiftVersion),
                "version": .string(descriptor.version),
                "summary": .string(descriptor.summary),
                "checks": .array(descriptor.checks.map { .string($0.name) }),
                "info_section": .string(descriptor.infoSection),
            ])
        }
        var idle: [String: JSONValue] = [:]
        for plugin in plugins.idle {
            idle[plugin.name] = .object([
                "path": .string(plugin.path),
                "sha256": .string(plugin.sha256),
                "version": .string(plugin.descriptor.version),
                "checks": .array(plugin.descriptor.checks.map { .string($0.name) }),
            ])
        }
        return .object([
            "loaded": .object(loaded),
            "not_started": .object(idle),
            "broken": .array(
                plugins.broken.map { .object(["path": .string($0.path), "error": .string($0.error.description)]) }),
        ])
    }
}

/// The Swift version the host was compiled with (the runtime its Swift plugins share).
enum SwiftVersion {
    /// `6.3`.
    static var text: String { components.map(String.init).joined(separator: ".") }

    static let components: [Int] = SwiftRuntimeVersion.host.split(separator: ".").compactMap { Int($0) }
}
