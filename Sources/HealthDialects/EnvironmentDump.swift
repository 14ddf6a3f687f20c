import HealthHTTP

/// Runscope's `EnvironmentDump`: one JSON object of sections (`os`, `runtime`,
/// `process`, `config`, `plugins`, and each plugin's info section), every value whose
/// key contains `key`, `token`, `pass` or `secret` replaced by `********` at every
/// depth. Always requires the secret: it describes the host to whoever reads it.
public enum EnvironmentDump {
    /// Which sections are shown.
    public struct Sections: Sendable {
        /// Built-in section names shown (`os`, `runtime`, `process`, `config`, `plugins`).
        public var builtIn: Set<String>
        /// Whether the plugins' info sections are shown.
        public var pluginSections: Bool

        /// Every section.
        public static let all = Sections(builtIn: ["os", "runtime", "process", "config", "plugins"], pluginSections: true)

        /// Creates a selection.
        public init(builtIn: Set<String>, pluginSections: Bool) {
            self.builtIn = builtIn
            self.pluginSections = pluginSections
        }
    }

    /// The route serving the dump at `path`.
    static func route(_ path: String, sections: Sections, context: DialectContext) -> HealthRoute {
        let environment = context.environment
        let builtIn = environment.sections.filter { sections.builtIn.contains($0.key) }
        guard sections.pluginSections, !environment.pluginSections.isEmpty else {
            return HealthRoute(path, access: .secret) { _ in .json(context.redacted(builtIn), headers: HealthHeaders.noCache) }
        }
        return HealthRoute(
            path, access: .secret,
            renderAsync: { _ in
                var body = builtIn
                for (name, value) in await environment.readPluginSections().sections { body[name] = value }
                return .json(context.redacted(body), headers: HealthHeaders.noCache)
            })
    }
}
