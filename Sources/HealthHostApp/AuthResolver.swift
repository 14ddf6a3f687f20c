import Foundation
import HealthConfig
import HealthDialects

/// Decides the shared secret: `HEALTH_URL_SECRET` from the environment wins, then
/// `auth.secret_file`, then `auth.secret`; `auth.disabled: true` turns auth off. With
/// none of them the host refuses to start.
public enum AuthResolver {
    /// The environment variable that overrides the config.
    public static let environmentVariable = "HEALTH_URL_SECRET"

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
        if let file = auth.secretFile {
            let path = loaded.resolve(path: file)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .config(loaded.error(at: ["auth", "secret_file"], "cannot read the secret file \(path)"))
            }
            let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else {
                throw .config(loaded.error(at: ["auth", "secret_file"], "the secret file \(path) is empty"))
            }
            return SharedSecretAuth(secret: secret)
        }
        if let secret = auth.secret { return SharedSecretAuth(secret: secret) }
        if auth.disabled { return .disabled }
        throw .auth(
            "no secret is configured, so check results would be open to anyone. Set auth.secret_file "
                + "(for example a Kubernetes Secret mount), auth.secret, or the \(environmentVariable) environment "
                + "variable; or set auth.disabled: true to serve check results without a secret")
    }
}
