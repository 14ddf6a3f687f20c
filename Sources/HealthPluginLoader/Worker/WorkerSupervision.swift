import HealthCore
/// What the host remembers of an isolated plugin's worker deaths, and what it decides
/// from them: after each death the next start waits a back-off that doubles per death
/// in the window (±20 % jitter, at most `maxRestartDelay`); `quarantineAfter` deaths
/// within `quarantineWindow` stop restarts until the host restarts. A value type driven
/// with explicit instants and jitter, so the rules are tested without processes or
/// sleeps; ``PluginWorker`` keeps one under its lock and does the I/O.
struct WorkerSupervision: Sendable {
    /// What a death leads to.
    enum Verdict: Equatable, Sendable {
        /// The next start waits until `notBefore`.
        case restart(notBefore: ContinuousClock.Instant)
        /// No more starts; calls are told `message`. `isNew` the first time.
        case quarantined(message: String, isNew: Bool)
    }

    /// Whether a worker may be started now.
    enum StartDecision: Equatable, Sendable {
        case start
        /// Refused, with what the call is told.
        case refuse(String)
    }

    private let restartDelay: Duration
    private let maxRestartDelay: Duration
    private let quarantineAfter: Int
    private let quarantineWindow: Duration
    /// Deaths within the quarantine window, oldest first.
    private var recentDeaths: [ContinuousClock.Instant] = []
    private var lastCause: String?
    private var restartNotBefore: ContinuousClock.Instant?
    /// Why the plugin is quarantined, once it is.
    private(set) var quarantine: String?
    /// Every death so far (for `/metrics`).
    private(set) var deathCount = 0

    init(policy: IsolationPolicy) {
        restartDelay = policy.restartDelay
        maxRestartDelay = policy.maxRestartDelay
        quarantineAfter = policy.quarantineAfter
        quarantineWindow = policy.quarantineWindow
    }

    /// Counts a death at `now` caused by `cause`; `jitter` (0.8...1.2 in use) scales the
    /// back-off.
    mutating func recordDeath(_ cause: String, at now: ContinuousClock.Instant, jitter: Double) -> Verdict {
        recentDeaths.append(now)
        deathCount += 1
        let window = quarantineWindow
        recentDeaths.removeAll { now - $0 > window }
        lastCause = cause
        if recentDeaths.count >= quarantineAfter {
            let span = recentDeaths.first.map { (now - $0).humanReadable } ?? "0 s"
            let message =
                "quarantined: the plugin's worker died \(recentDeaths.count) times in \(span) (last: \(cause)); "
                + "fix the plugin and restart healthhost"
            let isNew = quarantine == nil
            quarantine = message
            return .quarantined(message: message, isNew: isNew)
        }
        let exponent = min(recentDeaths.count - 1, 16)
        var delay = restartDelay * (1 << exponent)
        if delay > maxRestartDelay { delay = maxRestartDelay }
        let notBefore = now + delay * jitter
        restartNotBefore = notBefore
        return .restart(notBefore: notBefore)
    }

    /// Whether a worker may start at `now`.
    func mayStart(at now: ContinuousClock.Instant) -> StartDecision {
        if let quarantine { return .refuse(quarantine) }
        if let notBefore = restartNotBefore, now < notBefore {
            return .refuse(
                "plugin worker restarting after \(lastCause ?? "it died"); next start in \((notBefore - now).humanReadable)")
        }
        return .start
    }
}
