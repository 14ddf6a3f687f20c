public import HealthConfig
public import HealthPluginLoader

/// Why the host cannot start: a config problem (with file and line), a plugin problem
/// (with the plugin file), no usable auth setting, or an unusable `OTEL_*` variable.
public enum StartupError: Error, CustomStringConvertible {
    case config(ConfigError)
    case plugin(PluginLoadError)
    case auth(String)
    /// An `OTEL_*` environment variable that cannot be used.
    case tracing(String)

    public var description: String {
        switch self {
        case .config(let error): "config error: \(error)"
        case .plugin(let error): "plugin error: \(error)"
        case .auth(let message): "auth error: \(message)"
        case .tracing(let message): "tracing error: \(message)"
        }
    }
}
