/// One check of a plugin: a name, what it means, and the Swift closure that runs it.
///
/// ```swift
/// Check("always_ok", isDefault: true) { .pass("fine") }
/// Check("queue", summary: "Jobs are being processed.") { context in
///     context.log.debug("looking at the queue for \(context.configuredName)")
///     let depth = try queueDepth()             // a thrown error becomes `fail`
///     return depth < 1000 ? .pass("\(depth) jobs") : .warn("\(depth) jobs waiting")
/// }
/// ```
///
/// A check with typed parameters receives each configured argument as a closure
/// parameter of the declared type, so one check serves many configured checks:
///
/// ```swift
/// Check("disk_free", parameters: .string("path", default: "/"), .int("min_free_mb", default: 500)) { path, minFree in
///     let free = try freeMegabytes(at: path)
///     return free >= minFree ? .pass("\(free) MB free at \(path)") : .fail("only \(free) MB free at \(path)")
/// }
/// ```
///
/// The closure is `@Sendable`, so the compiler has checked it for data races and the
/// host may call it on several threads at once (`HH_CHECK_THREAD_SAFE`). Pass
/// `isThreadSafe: false` when it wraps something that must not run concurrently
/// (a C library without locking): the host then calls it one at a time.
public struct Check: Sendable {
    /// `[a-z0-9_.-]{1,64}`, unique within the plugin (the host validates it).
    public let name: String
    /// One line saying what a failure means.
    public let summary: String
    /// Whether it is in the default set (the host config can override this).
    public let isDefault: Bool
    /// Whether the host may call it concurrently with itself.
    public let isThreadSafe: Bool
    /// The timeout the plugin suggests (the host config can override it).
    public let timeout: Duration?
    /// The declared parameters, in order.
    let parameters: [ParameterDeclaration]
    let body: @Sendable (CheckContext) throws -> CheckResult

    /// A check whose closure uses the call's context (configured name, timeout, log).
    public init(
        _ name: String, summary: String = "", isDefault: Bool = false, isThreadSafe: Bool = true,
        timeout: Duration? = nil, _ body: @escaping @Sendable (CheckContext) throws -> CheckResult
    ) {
        self.name = name
        self.summary = summary
        self.isDefault = isDefault
        self.isThreadSafe = isThreadSafe
        self.timeout = timeout
        self.parameters = []
        self.body = body
    }

    /// A check with typed parameters whose closure also uses the call's context.
    public init<each Value: CheckArgument>(
        _ name: String, summary: String = "", isDefault: Bool = false, isThreadSafe: Bool = true,
        timeout: Duration? = nil, parameters: repeat Parameter<each Value>,
        run body: @escaping @Sendable (CheckContext, repeat each Value) throws -> CheckResult
    ) {
        self.name = name
        self.summary = summary
        self.isDefault = isDefault
        self.isThreadSafe = isThreadSafe
        self.timeout = timeout
        var declarations: [ParameterDeclaration] = []
        for parameter in repeat each parameters {
            declarations.append(parameter.declaration)
        }
        self.parameters = declarations
        self.body = { context in
            try body(context, repeat try (each parameters).value(in: context.arguments))
        }
    }

    /// A check with typed parameters: the closure receives one value per parameter.
    public init<each Value: CheckArgument>(
        _ name: String, summary: String = "", isDefault: Bool = false, isThreadSafe: Bool = true,
        timeout: Duration? = nil, parameters: repeat Parameter<each Value>,
        run body: @escaping @Sendable (repeat each Value) throws -> CheckResult
    ) {
        self.init(
            name, summary: summary, isDefault: isDefault, isThreadSafe: isThreadSafe, timeout: timeout,
            parameters: repeat each parameters
        ) { (_: CheckContext, value: repeat each Value) in
            try body(repeat each value)
        }
    }

    /// A check whose closure needs nothing from the call.
    public init(
        _ name: String, summary: String = "", isDefault: Bool = false, isThreadSafe: Bool = true,
        timeout: Duration? = nil, _ body: @escaping @Sendable () throws -> CheckResult
    ) {
        self.init(name, summary: summary, isDefault: isDefault, isThreadSafe: isThreadSafe, timeout: timeout) { _ in
            try body()
        }
    }
}

/// Collects the checks written inside `Plugin(...) { ... }`.
@resultBuilder
public enum CheckBuilder {
    public static func buildExpression(_ check: Check) -> [Check] { [check] }
    public static func buildExpression(_ checks: [Check]) -> [Check] { checks }
    public static func buildBlock(_ parts: [Check]...) -> [Check] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Check]?) -> [Check] { part ?? [] }
    public static func buildEither(first part: [Check]) -> [Check] { part }
    public static func buildEither(second part: [Check]) -> [Check] { part }
    public static func buildArray(_ parts: [[Check]]) -> [Check] { parts.flatMap { $0 } }
}
