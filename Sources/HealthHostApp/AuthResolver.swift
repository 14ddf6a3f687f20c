import HealthCore
public import HealthConfig
public import HealthDialects
import HealthPOSIX

/// Decides the shared secret: `HEALTH_URL_SECRET` from the environment wins, then
/// `auth.secret_file`, then `auth.secret`; `auth.disabled: true` turns auth off. With
/// none of them the host refuses to start.
public enum AuthResolver {
    /// The environment variable that overrides the config.
    public static let environmentVariable = "HEALTH_URL_SECRET"

    /// The secret file in effect (absolute), or `nil` when the secret comes from
    /// elsewhere (the environment wins over the file).
    public static func secretFile(_ loaded: LoadedConfiguration, environment: [String: String]) -> String? {
        guard environment[environmentVariable] == nil, let file = loaded.configuration.auth.secretFile else { return nil }
        return loaded.resolve(path: file)
    }

    /// Why a secret file cannot be used.
    public struct SecretFileProblem: Error {
        public let message: String
    }

    /// Reads a secret file: its text without surrounding whitespace; empty is an error.
    public static func readSecret(at path: String) -> Result<String, SecretFileProblem> {
        let text: String
        do {
            text = try FileReading.text(atPath: path, limit: 64 << 10)
        } catch {
            return .failure(SecretFileProblem(message: "cannot read the secret file \(path): \(error)"))
        }
        let secret = text.trimmingWhitespace()
        guard !secret.isEmpty else { return .failure(SecretFileProblem(message: "the secret file \(path) is empty")) }
        return .success(secret)
    }

    /// Resolves the auth setting; errors never contain the secret.
    public static func resolve(
        _ loaded: LoadedConfiguration, environment: [String: String]
    ) throws(StartupError) -> SharedSecretAuth {
        let auth = loaded.configuration.auth
        if let fromEnvironment = environment[environmentVariable] {
            guard !fromEnvironment.isEmpty else {
                throw .auth("\(environmentVariable) is set but empty; unset it or give it the secret")
            }
            return SharedSecretAuth(secret: fromEnvironment)
        }
        if let path = secretFile(loaded, environment: environment) {
            switch readSecret(at: path) {
            case .success(let secret): return SharedSecretAuth(secret: secret)
            case .failure(let problem): throw .config(loaded.error(at: ["auth", "secret_file"], problem.message))
            }
        }
        if let secret = auth.secret { return SharedSecretAuth(secret: secret) }
        if auth.disabled { return .disabled }
        throw .auth(
            "no secret is configured, so check results would be open to anyone. Set auth.secret_file "
                + "(for example a Kubernetes Secret mount), auth.secret, or the \(environmentVariable) environment "
                + "variable; or set auth.disabled: true to serve check results without a secret")
    }
}
