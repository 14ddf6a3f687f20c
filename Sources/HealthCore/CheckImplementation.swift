/// The code behind a check: something that can be run, blocking, to get a result.
///
/// The plugin loader provides one per plugin check; tests provide closures. The core
/// never calls ``run(_:)`` on an event loop or the Swift concurrency pool: the
/// ``CheckRunner`` gives every call a thread of its own pool.
public protocol CheckImplementation: Sendable {
    /// Where the check comes from, for people: e.g. `core.true` (plugin and check name).
    var source: String { get }
    /// The timeout the implementation suggests, if any.
    var suggestedTimeout: Duration? { get }
    /// Whether the implementation is in the default set unless the config says otherwise.
    var isDefaultByDefault: Bool { get }
    /// Runs the check once. Blocks until the check returns.
    func run(_ invocation: CheckInvocation) -> CheckResult
}

/// The facts about one call that an implementation may use.
public struct CheckInvocation: Sendable {
    /// The name the check is registered under (one implementation can back several).
    public var configuredName: String
    /// The limit the runner applies to this call.
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
    private let body: @Sendable (CheckInvocation) -> CheckResult

    /// Creates a check that runs `body`.
    public init(
        source: String, isDefault: Bool = true, suggestedTimeout: Duration? = nil,
        _ body: @escaping @Sendable (CheckInvocation) -> CheckResult
    ) {
        self.source = source
        self.isDefaultByDefault = isDefault
        self.suggestedTimeout = suggestedTimeout
        self.body = body
    }

    public func run(_ invocation: CheckInvocation) -> CheckResult { body(invocation) }
}
