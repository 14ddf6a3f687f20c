import HealthCore
import HealthDialects
import Logging

/// Re-reads `auth.secret_file` every `auth.reload_interval` seconds, so a rotated
/// Kubernetes Secret (the kubelet updates the mounted file in place) takes effect without
/// a restart. A file that becomes unreadable or empty keeps the previous secret and is
/// logged; the secret itself is never logged.
struct SecretFileReloader {
    let path: String
    let interval: Duration
    let auth: SharedSecretAuth
    let engine: CheckEngine
    let logger: Logger

    /// Runs until cancelled.
    func run() async {
        var lastProblem: String?
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            let path = self.path
            // The read is a blocking call: a worker thread does it, bounded in time.
            guard let result = await engine.runBlocking(timeout: .seconds(5), { AuthResolver.readSecret(at: path) }) else {
                continue
            }
            switch result {
            case .success(let secret):
                lastProblem = nil
                if auth.replaceSecret(with: secret) {
                    logger.notice("auth secret reloaded", metadata: ["auth.secret_file": "\(path)"])
                }
            case .failure(let problem):
                if problem.message != lastProblem {
                    logger.warning("keeping the previous auth secret: \(problem.message)")
                }
                lastProblem = problem.message
            }
        }
    }
}
