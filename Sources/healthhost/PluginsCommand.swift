import HealthCore
import HealthHostApp
import HealthPluginLoader

/// `healthhost plugins`: what each plugin file is and declares, and which are broken.
enum PluginsCommand {
    static let spec = CommandSpec(
        name: "plugins",
        abstract: "List each plugin: file, SHA-256, ABI and plugin version, checks with parameters; and broken plugins.",
        discussion: "Exits 1 when a plugin is broken.", options: [HealthHostCommand.configOption])

    static func run(_ values: [String: String]) async -> Int32 {
        let app: HostApplication
        do {
            app = try HostApplication.build(
                configFile: values["config"] ?? "", options: .init(requiresAuth: false, forceSkipBrokenPlugins: true),
                logger: CommandLogging.logger)
        } catch {
            return reportStartupFailure(error, code: 1)
        }
        print(PluginListing.render(app.plugins), terminator: "")
        app.shutdown()
        return app.plugins.broken.isEmpty ? 0 : 1
    }
}

/// The text `healthhost plugins` prints.
enum PluginListing {
    static func render(_ set: PluginSet) -> String {
        var out = ""
        let listed =
            set.plugins.map { plugin in
                (
                    plugin.descriptor, plugin.path, plugin.sha256,
                    plugin.placement.description
                )
            }
            + set.idle.map { ($0.descriptor, $0.path, $0.sha256, "not started: no configured check uses it") }
        for (info, path, sha256, runs) in listed {
            out += "\(info.name) \(info.version)\n"
            if !info.summary.isEmpty { out += "  summary: \(info.summary)\n" }
            out += "  file:    \(path)\n"
            out += "  sha256:  \(sha256)\n"
            out += "  abi:     \(info.abiVersion)\n"
            out += "  runs:    \(runs)\n"
            if let swift = info.swiftVersion { out += "  swift:   \(swift) (shares the host's Swift runtime)\n" }
            if let section = info.infoSection { out += "  info:    section '\(section)' in the environment endpoints\n" }
            out += "  checks:\n"
            for check in info.checks {
                var flags: [String] = []
                if check.isDefault { flags.append("default") }
                flags.append(check.isThreadSafe ? "thread-safe" : "serialised")
                if let timeout = check.suggestedTimeout { flags.append("timeout \(timeout.humanReadable)") }
                out += "    \(check.name) [\(flags.joined(separator: ", "))]"
                out += check.summary.isEmpty ? "\n" : "  \(check.summary)\n"
                for parameter in check.parameters {
                    var facts = [parameter.kind.rawValue]
                    if let value = parameter.defaultValue {
                        facts.append("default \(parameter.isSecret ? "********" : value)")
                    } else {
                        facts.append("required")
                    }
                    if parameter.isSecret { facts.append("secret") }
                    out += "      \(parameter.name) (\(facts.joined(separator: ", ")))"
                    out += parameter.summary.isEmpty ? "\n" : "  \(parameter.summary)\n"
                }
            }
        }
        if !set.skipped.isEmpty {
            out += "skipped (a library they need is not installed):\n"
            for skipped in set.skipped { out += "  \(skipped.path): \(skipped.error.message)\n" }
        }
        if !set.broken.isEmpty {
            out += "broken:\n"
            for broken in set.broken { out += "  \(broken.path) [\(broken.error.code)]: \(broken.error.message)\n" }
        }
        return out
    }
}
