import HealthConfig
import HealthCore
import HealthPluginLoader

/// Builds the registry from the config's `checks` and the loaded plugins; without a
/// `checks` list, every plugin check whose parameters all have defaults is served as
/// `plugin.check`, with those defaults.
struct CheckBinder {
    let loaded: LoadedConfiguration
    let plugins: PluginSet
    /// Whether a check of a broken plugin is served as failing rather than refused
    /// (`plugins.on_error: skip`, and `healthhost plugins`, which must show the broken).
    var toleratesBrokenPlugins = false

    private var config: HostConfiguration { loaded.configuration }
    private var defaultTimeout: Duration { config.engine.timeout }
    private var defaultRefresh: RefreshPolicy {
        RefreshPolicy(successTTL: config.engine.successTTL, failureTTL: config.engine.failureTTL)
    }

    private func refresh(of entry: CheckConfiguration) -> RefreshPolicy {
        if let interval = entry.interval {
            return RefreshPolicy(interval: interval, staleAfter: entry.staleAfter)
        }
        return RefreshPolicy(
            successTTL: entry.successTTL ?? defaultRefresh.successTTL,
            failureTTL: entry.failureTTL ?? defaultRefresh.failureTTL)
    }

    /// `fail_after`, `pass_after`, `fail_after_seconds` of `entry`, else of `engine`.
    private func damping(of entry: CheckConfiguration?) -> DampingPolicy {
        let engine = config.engine
        return DampingPolicy(
            failAfter: entry?.failAfter ?? engine.failAfter, passAfter: entry?.passAfter ?? engine.passAfter,
            failAfterTime: entry?.failAfterTime ?? engine.failAfterTime)
    }

    func makeRegistry() throws(StartupError) -> CheckRegistry {
        var registry = CheckRegistry()
        if let entries = config.checks {
            for (index, entry) in entries.enumerated() {
                if let check = try bind(entry, at: ["checks", .index(index)]) {
                    try register(check, in: &registry)
                }
            }
        } else {
            for plugin in plugins.plugins {
                for check in plugin.descriptor.checks where check.parameters.allSatisfy({ $0.defaultValue != nil }) {
                    guard let unbound = plugin.implementation(of: check.name) else { continue }
                    let implementation = try bindArguments(of: unbound, args: [:], at: ["checks"])
                    let registered = RegisteredCheck(
                        name: "\(plugin.name).\(check.name)", implementation: implementation,
                        defaultTimeout: defaultTimeout, refresh: defaultRefresh, damping: damping(of: nil))
                    try register(registered, in: &registry)
                }
            }
        }
        return registry
    }

    private func register(_ check: RegisteredCheck, in registry: inout CheckRegistry) throws(StartupError) {
        do {
            try registry.register(check)
        } catch {
            throw .config(ConfigError(file: loaded.file, message: error.message))
        }
    }

    /// The registered check for one config entry; `nil` when its plugin is broken and
    /// broken plugins are skipped.
    private func bind(_ entry: CheckConfiguration, at path: [ConfigPathElement]) throws(StartupError) -> RegisteredCheck? {
        guard let plugin = plugins.plugin(named: entry.plugin) else {
            // The unused ones were read too (described, not started): their names exist.
            let loadedNames = (plugins.plugins.map(\.name) + plugins.idle.map(\.name)).joined(separator: ", ")
            var message = "no loaded plugin is named '\(entry.plugin)' (loaded: \(loadedNames.isEmpty ? "none" : loadedNames))"
            if !plugins.skipped.isEmpty {
                let skipped = plugins.skipped.map { "\($0.path): \($0.error.message)" }.joined(separator: "; ")
                message += "; skipped for a missing library: \(skipped)"
            }
            for folder in config.plugins.paths.map(loaded.resolve(path:)) {
                let ignored = PluginDiscovery.ignoredLibraries(at: folder)
                guard !ignored.isEmpty else { continue }
                let listed = ignored.prefix(5).joined(separator: ", ") + (ignored.count > 5 ? ", ..." : "")
                message +=
                    """
                    ; not loaded from \(folder): \(listed) (folders load only hh-*.so and libhh-*.so; rename it, or list the file itself in \
                    plugins.paths)
                    """
            }
            if (toleratesBrokenPlugins || config.plugins.onError == .skip) && !plugins.broken.isEmpty {
                return RegisteredCheck(
                    name: entry.name,
                    implementation: ClosureCheck(source: "\(entry.plugin).\(entry.check)", isDefault: true) { _ in
                        .fail("plugin '\(entry.plugin)' is not loaded; see `healthhost plugins`")
                    },
                    isDefault: entry.isDefault, groups: entry.groups, defaultTimeout: defaultTimeout,
                    refresh: refresh(of: entry), damping: damping(of: entry))
            }
            throw .config(loaded.error(at: path + ["plugin"], message))
        }
        guard let unbound = plugin.implementation(of: entry.check) else {
            let names = plugin.descriptor.checks.map(\.name).joined(separator: ", ")
            throw .config(
                loaded.error(at: path + ["check"], "plugin '\(plugin.name)' has no check '\(entry.check)' (its checks: \(names))"))
        }
        let implementation = try bindArguments(of: unbound, args: entry.args, at: path)
        return RegisteredCheck(
            name: entry.name, implementation: implementation, isDefault: entry.isDefault, groups: entry.groups,
            timeout: entry.timeout, defaultTimeout: defaultTimeout, refresh: refresh(of: entry),
            damping: damping(of: entry))
    }

    /// The check with its arguments bound: each parameter's configured value (checked
    /// against its kind) or its default. `args` keys no parameter declares, missing
    /// required arguments and values of the wrong kind are errors at `path`.
    private func bindArguments(
        of check: PluginCheck, args: [String: ConfigValue], at path: [ConfigPathElement]
    ) throws(StartupError) -> PluginCheck {
        let parameters = check.check.parameters
        let declared = parameters.map(\.name)
        for name in args.keys.sorted() where !declared.contains(name) {
            let known = declared.isEmpty ? "it takes no arguments" : "its parameters: \(declared.joined(separator: ", "))"
            throw .config(
                loaded.error(at: path + ["args", .key(name)], "check '\(check.source)' has no parameter '\(name)' (\(known))"))
        }
        guard !parameters.isEmpty else { return check }
        var values: [ParameterValue] = []
        for parameter in parameters {
            if let configured = args[parameter.name] {
                // A string parameter gets the text as written; typed ones YAML's value.
                let written = parameter.kind == .string ? configured.sourceText : configured.scalarText
                guard let text = written, let value = ParameterValue.parse(text, as: parameter.kind) else {
                    throw .config(
                        loaded.error(
                            at: path + ["args", .key(parameter.name)],
                            "parameter '\(parameter.name)' of '\(check.source)' expects \(Self.describe(parameter.kind)), "
                                + "found \(Self.describe(configured, secret: parameter.isSecret))"))
                }
                // Secret values are hidden in messages by replacing every occurrence: a
                // very short one would turn ordinary words into asterisks.
                if parameter.isSecret, text.count < Self.minimumSecretLength {
                    throw .config(
                        loaded.error(
                            at: path + ["args", .key(parameter.name)],
                            "secret parameter '\(parameter.name)' of '\(check.source)' is shorter than \(Self.minimumSecretLength) characters; "
                                + "messages hide it by replacing every occurrence, so it would garble them (use a real secret)"))
                }
                values.append(value)
            } else if let text = parameter.defaultValue, let value = ParameterValue.parse(text, as: parameter.kind) {
                values.append(value)  // defaults were checked against the kind when the plugin loaded
            } else {
                throw .config(loaded.error(at: path + ["args"], "missing required argument '\(parameter.name)' (\(parameter.kind))"))
            }
        }
        do {
            return try check.binding(values)
        } catch  where error.code == .invalidArguments {
            // The plugin's own validation (ABI 1.3): a config error at the entry's args.
            throw .config(loaded.error(at: path + ["args"], "check '\(check.source)': \(error.message)"))
        } catch {
            throw .plugin(error)
        }
    }

    /// The shortest secret argument accepted.
    static let minimumSecretLength = 4

    private static func describe(_ kind: ParameterDescription.Kind) -> String {
        switch kind {
        case .string: "text"
        case .int: "a whole number (64-bit)"
        case .double: "a number"
        case .bool: "true or false"
        }
    }

    /// What was configured, in words; a secret parameter's value is never repeated.
    private static func describe(_ value: ConfigValue, secret: Bool) -> String {
        switch value {
        case .null: "nothing"
        case .list: "a list"
        case .map: "a mapping"
        case .bool, .int, .double, .string, .written:
            secret ? "a value of another type (not shown: the parameter is secret)" : "'\(value.sourceText ?? "")'"
        }
    }
}
