public import HealthConfig
public import HealthCore
public import HealthHTTP

/// One endpoint, as a dialect declares it: its path, who may call it, which checks it
/// runs, and a function from their reports to the response. Everything else (auth,
/// selection errors, running the checks on or off the event loop, metrics) is the
/// ``RoutePipeline``'s, done once for every route.
///
/// ```swift
/// HealthRoute("/livez", access: .checks(.public), checks: .fixed(liveness, engine: engine)) { input in
///     input.reports.allSatisfy(\.result.status.isPassing) ? .text("ok") : .text("failed", status: .internalServerError)
/// }
/// ```
public struct HealthRoute: Sendable {
    /// Who may call a route.
    public enum Access: Sendable {
        /// Anyone, and they see everything (ping, version).
        case open
        /// Only callers presenting the secret; others get 401 (status, info, environment).
        case secret
        /// A dialect's check endpoint, by its `access` setting: `required` is ``secret``;
        /// `public` lets anyone see statuses and keeps messages for callers with the secret.
        case checks(AccessSetting)
    }

    /// The exact path served (GET and HEAD).
    public let path: String
    /// Who may call it.
    public let access: Access
    /// The checks it runs.
    public let checks: CheckSelector
    /// Builds the response from the reports: now, where the reports are ready, or
    /// awaited off the event loop when it needs work that may wait.
    public let render: @Sendable (RouteInput) -> HTTPReply
    /// Whether the pipeline may send a response rendered for an earlier request again.
    public let reuse: Reuse

    /// A route whose response is built on the event loop, from the reports alone;
    /// `reuse` says whether its bytes may be sent again while the reports stand.
    public init(
        _ path: String, access: Access, checks: CheckSelector = .none, reuse: Reuse = .never,
        render: @escaping @Sendable (RouteInput) -> HTTPResponse
    ) {
        self.init(path, access: access, checks: checks, reuse: reuse, reply: { .now(render($0)) })
    }

    /// A route whose response needs work that may wait (plugin info sections).
    public init(
        _ path: String, access: Access, checks: CheckSelector = .none,
        renderAsync: @escaping @Sendable (RouteInput) async -> HTTPResponse
    ) {
        self.init(path, access: access, checks: checks, reuse: .never, reply: { input in .later { await renderAsync(input) } })
    }

    /// A configured prefix ready to have `/name` appended: `/z/` and `/z` both give `/z`.
    public static func base(_ prefix: String) -> String {
        prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
    }

    private init(
        _ path: String, access: Access, checks: CheckSelector, reuse: Reuse, reply: @escaping @Sendable (RouteInput) -> HTTPReply
    ) {
        self.path = path
        self.access = access
        self.checks = checks
        self.reuse = reuse
        self.render = reply
    }
}

/// What a route's render function sees.
public struct RouteInput: Sendable {
    /// The request (for query options such as `?verbose`).
    public let request: HTTPRequest
    /// How much of each result the caller may see.
    public let visibility: Visibility
    /// The reports of the selected checks, in selection order.
    public let reports: [CheckReport]

    /// Creates an input.
    public init(request: HTTPRequest, visibility: Visibility, reports: [CheckReport]) {
        self.request = request
        self.visibility = visibility
        self.reports = reports
    }
}

/// How much of a result a caller may see.
public enum Visibility: Sendable {
    /// Statuses, messages and values.
    case full
    /// Statuses only; a failure says "reason withheld".
    case statusOnly

    /// The text shown in place of a failure's message without the secret.
    public static let withheld = "reason withheld"
}

/// Which checks a route runs for a request, and on which engine: a fixed set (a group,
/// the defaults, every check), the set a `?checks=` query names, or none. Selection may
/// refuse a request (an unknown check name is a 400).
public struct CheckSelector: Sendable {
    /// Checks of one engine.
    public struct Batch: Sendable {
        /// The engine that runs (and caches) them.
        public let engine: CheckEngine
        /// The checks.
        public let checks: [RegisteredCheck]

        /// Creates a batch.
        public init(engine: CheckEngine, checks: [RegisteredCheck]) {
            self.engine = engine
            self.checks = checks
        }
    }

    private let select: @Sendable (HTTPRequest) throws(HTTPError) -> [Batch]

    /// A selector computed per request.
    public init(_ select: @escaping @Sendable (HTTPRequest) throws(HTTPError) -> [Batch]) {
        self.select = select
    }

    /// The batches for `request`.
    public func batches(for request: HTTPRequest) throws(HTTPError) -> [Batch] {
        try select(request)
    }

    /// No checks.
    public static let none = CheckSelector { _ throws(HTTPError) in [] }

    /// Always the same checks.
    public static func fixed(_ checks: [RegisteredCheck], engine: CheckEngine) -> CheckSelector {
        let batches = checks.isEmpty ? [] : [Batch(engine: engine, checks: checks)]
        return CheckSelector { _ throws(HTTPError) in batches }
    }

    /// The checks named by the `checks` query parameter (see ``CheckQuery``).
    public static func query(registry: CheckRegistry, engine: CheckEngine, ignoringUnknown: Bool = false) -> CheckSelector {
        // Without the parameter (what probes send) the default set, batched once.
        let defaults = registry.defaults.isEmpty ? [] : [Batch(engine: engine, checks: registry.defaults)]
        return CheckSelector { request throws(HTTPError) in
            guard request.query.contains(CheckQuery.parameterName) else { return defaults }
            let checks = try CheckQuery.select(request, in: registry, ignoringUnknown: ignoringUnknown)
            return checks.isEmpty ? [] : [Batch(engine: engine, checks: checks)]
        }
    }
}
