public import HealthCore

/// What building a host should do beyond reading the config and loading its plugins
/// (``LoadedHost/load(configFile:options:logger:)``, ``HostApplication/build(configFile:options:logger:)``).
public struct HostOptions: Sendable {
    /// Overrides `listen.host`.
    public var host: String?
    /// Overrides `listen.port`.
    public var port: Int?
    /// Whether auth must be resolved (serving); commands that serve nothing skip it.
    public var requiresAuth: Bool
    /// Loads every plugin it can and lists the rest as broken, whatever `plugins.on_error` says.
    public var forceSkipBrokenPlugins: Bool
    /// The process environment (for `HEALTH_URL_SECRET`).
    public var environment: [String: String]
    /// The `healthhost` binary isolated plugins' workers run (this process's own by
    /// default; tests, whose process is the test runner, name the built binary).
    public var workerExecutable: String
    /// Where the engine reads the time (tests pass a ``ManualClock``'s).
    public var engineClock: EngineClock

    /// Creates options.
    public init(
        host: String? = nil, port: Int? = nil, requiresAuth: Bool = true, forceSkipBrokenPlugins: Bool = false,
        environment: [String: String] = [:], workerExecutable: String = HostApplication.ownExecutable,
        engineClock: EngineClock = .system
    ) {
        self.workerExecutable = workerExecutable
        self.engineClock = engineClock
        self.host = host
        self.port = port
        self.requiresAuth = requiresAuth
        self.forceSkipBrokenPlugins = forceSkipBrokenPlugins
        self.environment = environment
    }
}
