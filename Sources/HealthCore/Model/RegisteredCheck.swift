/// A check as the host serves it: a configured name bound to an implementation,
/// with its place in the defaults, its groups and its timeout.
public struct RegisteredCheck: Sendable {
    /// The name requests use (`?checks=NAME`), unique in the registry.
    public let name: String
    /// The code that runs.
    public let implementation: any CheckImplementation
    /// Whether a request that names no checks runs this one.
    public let isDefault: Bool
    /// Tags such as `liveness`, `readiness`, `startup`, or any other.
    public let groups: [String]
    /// The limit applied to one run.
    public let timeout: Duration
    /// When results are reused and whether the check runs in the background.
    public let refresh: RefreshPolicy
    /// Flap damping: how many runs must disagree before the reported status changes.
    public let damping: DampingPolicy
    /// The plugin part of the implementation's source (`postgres` of `postgres.ping`): the
    /// `plugin` of metrics labels and span attributes. Worked out once: per traced check
    /// report, splitting the source cost as much as recording the span.
    public let pluginName: String
    /// The implementation's source (`postgres.ping`), read once.
    public let source: String

    /// Creates an entry. `isDefault` and `timeout` fall back to the implementation's
    /// suggestions, then to `defaultTimeout`.
    public init(
        name: String, implementation: any CheckImplementation, isDefault: Bool? = nil,
        groups: [String] = [], timeout: Duration? = nil, defaultTimeout: Duration = .seconds(5),
        refresh: RefreshPolicy = .alwaysFresh, damping: DampingPolicy = .none
    ) {
        self.name = name
        self.implementation = implementation
        self.isDefault = isDefault ?? implementation.isDefaultByDefault
        self.groups = groups
        self.timeout = timeout ?? implementation.suggestedTimeout ?? defaultTimeout
        self.refresh = refresh
        self.damping = damping
        let source = implementation.source
        self.source = source
        self.pluginName = implementation.pluginName
    }

    /// The age past which a background result is stale; `nil` for on-demand checks.
    public var staleAfter: Duration? {
        guard let interval = refresh.interval else { return nil }
        return refresh.staleAfter ?? RefreshPolicy.defaultStaleAfter(interval: interval, timeout: timeout)
    }
}
