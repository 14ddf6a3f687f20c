import Synchronization

/// Where the host is in its life, as probes need to know it: readiness turns false as
/// soon as shutdown begins (so Kubernetes stops sending traffic), while liveness stays
/// true until the process exits.
public final class HostLifecycle: Sendable {
    private let shuttingDown = Atomic<Bool>(false)

    /// A host that is serving.
    public init() {}

    /// Whether shutdown has begun (SIGTERM, SIGINT).
    public var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }

    /// Marks the start of shutdown; readiness endpoints fail from now on.
    public func beginShutdown() { shuttingDown.store(true, ordering: .releasing) }

    /// The reason readiness endpoints give while shutting down.
    public static let shutdownReason = "the host is shutting down"
}
