/// What happened to a plugin's worker process, for `/metrics`.
public struct WorkerStatistics: Sendable {
    /// Times the worker died (crashed, exited, was killed past a timeout, or failed to restart).
    public var deaths = 0
    /// Times a new worker was started after one died.
    public var restarts = 0
    /// Whether too many deaths stopped further restarts.
    public var isQuarantined = false
}
