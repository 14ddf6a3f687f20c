/// The checks the host serves, in registration order, with unique names.
///
/// ```swift
/// var registry = CheckRegistry()
/// try registry.register(RegisteredCheck(name: "true", implementation: someCheck))
/// let (checks, unknown) = registry.resolve(.parse(queryValue: "true,_defaults"))
/// ```
public struct CheckRegistry: Sendable {
    /// Every registered check, in registration order.
    public private(set) var checks: [RegisteredCheck] = []
    private var indexByName: [String: Int] = [:]
    /// The names of all checks, in registration order (kept with ``register(_:)``, as
    /// requests read it on every call).
    public private(set) var names: [String] = []
    /// The checks in the default set, in registration order.
    public private(set) var defaults: [RegisteredCheck] = []

    /// Creates an empty registry.
    public init() {}

    /// Adds a check. Throws when the name is invalid or taken.
    public mutating func register(_ check: RegisteredCheck) throws(RegistryError) {
        if let problem = HealthName.problem(with: check.name) {
            throw RegistryError(message: "check name '\(check.name)' \(problem)")
        }
        if let existing = indexByName[check.name] {
            let other = checks[existing].implementation.source
            throw RegistryError(
                message: "check name '\(check.name)' is used twice (for \(other) and \(check.implementation.source))")
        }
        indexByName[check.name] = checks.count
        checks.append(check)
        names.append(check.name)
        if check.isDefault { defaults.append(check) }
    }

    /// The check registered under `name`.
    public func check(named name: String) -> RegisteredCheck? {
        indexByName[name].map { checks[$0] }
    }

    /// The checks tagged with `group`.
    public func members(of group: String) -> [RegisteredCheck] {
        checks.filter { $0.groups.contains(group) }
    }

    /// The checks a selection names, in the order named and without repeats, and the
    /// names that match no check.
    public func resolve(_ selection: CheckSelection) -> (checks: [RegisteredCheck], unknown: [String]) {
        switch selection {
        case .defaults:
            return (defaults, [])
        case .names(let requested):
            var chosen: [RegisteredCheck] = []
            var seen = Set<String>()
            var unknown: [String] = []
            func add(_ check: RegisteredCheck) {
                if seen.insert(check.name).inserted { chosen.append(check) }
            }
            for name in requested {
                if name == CheckSelection.defaultsToken {
                    defaults.forEach(add)
                } else if let check = check(named: name) {
                    add(check)
                } else if !unknown.contains(name) {
                    unknown.append(name)
                }
            }
            return (chosen, unknown)
        }
    }
}

/// A registry rule was broken (invalid or duplicate name).
public struct RegistryError: Error, CustomStringConvertible {
    /// What went wrong, naming the check.
    public let message: String
    public var description: String { message }
}
