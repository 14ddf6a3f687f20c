/// The code behind a check: something that can be run, blocking, to get a result.
///
/// The plugin loader provides one per plugin check; tests provide closures. The core
/// never calls ``run(_:)`` on an event loop or the Swift concurrency pool: the
/// ``CheckEngine`` gives every call a thread of its own pool.
public protocol CheckImplementation: Sendable {
    /// Where the check comes from, for people: e.g. `core.true` (plugin and check name).
    var source: String { get }
    /// The plugin part of ``source`` (`postgres` of `postgres.ping`): the `plugin` label of
    /// metrics and the `check.plugin` span attribute. The default is the text before the
    /// first dot; an implementation whose source is not `plugin.check` names it itself.
    var pluginName: String { get }
    /// The timeout the implementation suggests, if any.
    var suggestedTimeout: Duration? { get }
    /// Whether the implementation is in the default set unless the config says otherwise.
    var isDefaultByDefault: Bool { get }
    /// Calls of implementations with the same key are never made concurrently (a plugin
    /// check without `HH_CHECK_THREAD_SAFE`); `nil` allows concurrent calls.
    var serializationKey: String? { get }
    /// Runs the check once. Blocks until the check returns.
    func run(_ invocation: CheckInvocation) -> CheckResult
}

extension CheckImplementation {
    public var pluginName: String { source.split(separator: ".", maxSplits: 1).first.map(String.init) ?? source }
}

/// The facts about one call that an implementation may use.
public struct CheckInvocation: Sendable {
    /// The name the check is registered under (one implementation can back several).
    public var configuredName: String
    /// The limit the engine applies to this call.
    public var timeout: Duration

    /// Creates an invocation.
    public init(configuredName: String, timeout: Duration) {
        self.configuredName = configuredName
        self.timeout = timeout
    }
}

/// A check implemented by a Swift closure (tests, built-in checks).
public struct ClosureCheck: CheckImplementation {
    public let source: String
    public let suggestedTimeout: Duration?
    public let isDefaultByDefault: Bool
    public let serializationKey: String?
    private let body: @Sendable (CheckInvocation) -> CheckResult

    /// Creates a check that runs `body`.
    public init(
        source: String, isDefault: Bool = true, suggestedTimeout: Duration? = nil, serializationKey: String? = nil,
        _ body: @escaping @Sendable (CheckInvocation) -> CheckResult
    ) {
        self.source = source
        self.isDefaultByDefault = isDefault
        self.suggestedTimeout = suggestedTimeout
        self.serializationKey = serializationKey
        self.body = body
    }

    public func run(_ invocation: CheckInvocation) -> CheckResult { body(invocation) }
}
