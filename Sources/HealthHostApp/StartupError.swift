import HealthConfig
import HealthPluginLoader

/// Why the host cannot start: a config problem (with file and line), a plugin problem
/// (with the plugin file), or no usable auth setting.
public enum StartupError: Error, CustomStringConvertible {
    case config(ConfigError)
    case plugin(PluginLoadError)
    case auth(String)

    public var description: String {
        switch self {
        case .config(let error): "config error: \(error)"
        case .plugin(let error): "plugin error: \(error)"
        case .auth(let message): "auth error: \(message)"
        }
    }
}
