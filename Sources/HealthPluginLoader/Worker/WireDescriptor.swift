import HealthCore

/// A parameter value on the wire: its kind and its text.
struct WireValue: Codable, Equatable, Sendable {
    var kind: String
    var text: String
}

/// A plugin description on the wire: everything but the C function pointers.
struct WireDescriptor: Codable, Equatable, Sendable {
    struct Check: Codable, Equatable, Sendable {
        var name: String
        var summary: String
        var isDefault: Bool
        var isThreadSafe: Bool
        var timeoutMs: Int?
        var argumentsInCall: Bool
        var parameters: [Parameter]
    }

    struct Parameter: Codable, Equatable, Sendable {
        var name: String
        var kind: String
        var isSecret: Bool
        var defaultValue: String?
        var summary: String
    }

    var name: String
    var version: String
    var summary: String
    var abiMajor: Int
    var abiMinor: Int
    var swiftVersion: String?
    var infoSection: String?
    var checks: [Check]
}

extension WireDescriptor {
    /// What `descriptor` says, for the wire (the memberwise initialiser stays for tests).
    init(_ descriptor: PluginDescriptor) {
        name = descriptor.name
        version = descriptor.version
        summary = descriptor.summary
        abiMajor = descriptor.abiVersion.major
        abiMinor = descriptor.abiVersion.minor
        swiftVersion = descriptor.swiftVersion
        infoSection = descriptor.infoSection
        checks = descriptor.checks.map { check in
            Check(
                name: check.name, summary: check.summary, isDefault: check.isDefault, isThreadSafe: check.isThreadSafe,
                timeoutMs: check.suggestedTimeout.map { Int($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) },
                argumentsInCall: check.argumentsInCall,
                parameters: check.parameters.map {
                    Parameter(
                        name: $0.name, kind: $0.kind.rawValue, isSecret: $0.isSecret, defaultValue: $0.defaultValue,
                        summary: $0.summary)
                })
        }
    }

    /// The description the host registers checks from; its checks have no C entry point.
    func decoded() -> PluginDescriptor? {
        var checks: [CheckDescription] = []
        for check in self.checks {
            var parameters: [ParameterDescription] = []
            for parameter in check.parameters {
                guard let kind = ParameterDescription.Kind(rawValue: parameter.kind) else { return nil }
                parameters.append(
                    ParameterDescription(
                        name: parameter.name, kind: kind, isSecret: parameter.isSecret,
                        defaultValue: parameter.defaultValue, summary: parameter.summary))
            }
            checks.append(
                CheckDescription(
                    name: check.name, summary: check.summary, isDefault: check.isDefault, isThreadSafe: check.isThreadSafe,
                    suggestedTimeout: check.timeoutMs.map { .milliseconds($0) }, parameters: parameters,
                    argumentsInCall: check.argumentsInCall, entryPoint: nil))
        }
        return PluginDescriptor(
            name: name, version: version, summary: summary, abiVersion: ABIVersion(major: abiMajor, minor: abiMinor),
            swiftVersion: swiftVersion, checks: checks, infoSection: infoSection,
            hooks: PluginHooks(initialize: nil, shutdown: nil, info: nil))
    }
}
