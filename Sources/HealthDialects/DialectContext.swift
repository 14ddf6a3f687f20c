import HealthJSON
public import HealthCore
import HealthHTTP
public import Logging
import NIOConcurrencyHelpers

/// What every dialect's routes read: one registry, one engine, one secret, one
/// lifecycle, one environment. Dialects differ only in URLs and body shapes.
public struct DialectContext: Sendable {
    /// The served checks.
    public let registry: CheckRegistry
    /// Runs checks (caching, timeouts, single-flight).
    public let engine: CheckEngine
    /// The shared secret.
    public let auth: SharedSecretAuth
    /// Whether shutdown has begun (readiness fails from then on).
    public let lifecycle: HostLifecycle
    /// The facts behind the environment and info endpoints.
    public let environment: EnvironmentReport
    /// The host's logger.
    public let logger: Logger
    private let withheldLog = WithheldFailureLog()

    /// Creates a context.
    public init(
        registry: CheckRegistry, engine: CheckEngine, auth: SharedSecretAuth, lifecycle: HostLifecycle = HostLifecycle(),
        environment: EnvironmentReport = EnvironmentReport(), logger: Logger
    ) {
        self.registry = registry
        self.engine = engine
        self.auth = auth
        self.lifecycle = lifecycle
        self.environment = environment
        self.logger = logger
    }

    /// An environment body with secrets redacted: secret-looking keys, URL passwords and
    /// the shared secret itself wherever it appears.
    func redacted(_ body: [String: JSONValue]) -> JSONValue {
        JSONValue.object(body).redactingSecrets(knownSecret: auth.secretText)
    }

    /// Logs why a check failed, for endpoints that withhold the reason from the caller:
    /// once per check and reason per minute, however often probes ask.
    func logWithheld(_ report: CheckReport, endpoint: String) {
        guard withheldLog.shouldLog(check: report.name, reason: report.result.message) else { return }
        logger.warning(
            "check failed; the reason is withheld from the caller",
            metadata: [
                "check.name": "\(report.name)", "check.message": "\(report.result.message)", "http.route": "\(endpoint)",
            ])
    }
}

/// Remembers which withheld failures were logged recently, so a check failing under a
/// probe every few seconds logs its reason once a minute (and again when it changes).
final class WithheldFailureLog: Sendable {
    static let interval: Duration = .seconds(60)
    private let lastLogged = NIOLockedValueBox<[String: (reason: String, at: ContinuousClock.Instant)]>([:])

    func shouldLog(check: String, reason: String) -> Bool {
        let now = ContinuousClock.now
        return lastLogged.withLockedValue { entries in
            if let last = entries[check], last.reason == reason, now - last.at < Self.interval { return false }
            entries[check] = (reason, now)
            return true
        }
    }
}
