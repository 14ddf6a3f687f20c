import HealthHTTP

/// Runscope's `EnvironmentDump`: one JSON object of sections (`os`, `runtime`,
/// `process`, `config`, `plugins`, and each plugin's info section), every value whose
/// key contains `key`, `token`, `pass` or `secret` replaced by `********` at every
/// depth. Always requires the secret: it describes the host to whoever reads it.
public struct EnvironmentDump: Sendable {
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

    let context: DialectContext
    let sections: Sections

    func respond(to request: HTTPRequest) -> HTTPReply {
        guard context.auth.allows(request) else { return .now(SharedSecretAuth.unauthorizedResponse) }
        let environment = context.environment
        let sections = self.sections
        let builtIn = environment.sections.filter { sections.builtIn.contains($0.key) }
        guard sections.pluginSections, !environment.pluginSections.isEmpty else {
            return .now(.json(context.redacted(builtIn), headers: HealthHeaders.noCache))
        }
        return .later {
            var body = builtIn
            for (name, value) in await environment.readPluginSections().sections { body[name] = value }
            return .json(context.redacted(body), headers: HealthHeaders.noCache)
        }
    }
}
