/// Where plugins run: in the host process, or each in a worker process of its own.
public enum PluginIsolation: String, Sendable, CaseIterable {
    /// In-process: a call costs a thread hop; a crash in the plugin kills the host.
    case none
    /// In a worker process (the host's binary re-executed): a call costs a round trip
    /// over a socket; a crash, exit or hang kills only the worker, which is restarted.
    case process
}

/// How plugins are isolated and how their workers are supervised.
public struct IsolationPolicy: Sendable {
    /// The plugins healthhost ships, which run in-process unless the config says otherwise.
    public static let bundledPlugins: Set<String> = ["core", "system", "nagios", "net", "redis", "postgres", "mysql"]

    /// The isolation of a plugin whose name has no entry in ``byName``.
    public var defaultIsolation: PluginIsolation
    /// Per plugin name.
    public var byName: [String: PluginIsolation]
    /// The executable a worker runs (`healthhost`; `worker` is its hidden subcommand).
    public var workerExecutable: String
    /// How long `init` (in a worker: the whole start, up to `ready`) may take.
    public var initTimeout: Duration
    /// The first restart delay after a worker died; doubled per death, with ±20 % jitter.
    public var restartDelay: Duration
    /// The longest restart delay.
    public var maxRestartDelay: Duration
    /// This many deaths within ``quarantineWindow`` quarantine the plugin: its checks
    /// fail with the reason until the host restarts.
    public var quarantineAfter: Int
    /// See ``quarantineAfter``.
    public var quarantineWindow: Duration
    /// How long past its timeout a call may run before its worker is killed.
    public var hangGrace: Duration

    /// Everything in-process, as before isolation existed.
    public static let inProcess = IsolationPolicy(defaultIsolation: .none)

    /// Creates a policy; bundled plugins run in-process unless `byName` says otherwise.
    public init(
        defaultIsolation: PluginIsolation, byName: [String: PluginIsolation] = [:], workerExecutable: String = "/proc/self/exe",
        initTimeout: Duration = .seconds(10), restartDelay: Duration = .seconds(1), maxRestartDelay: Duration = .seconds(60),
        quarantineAfter: Int = 5, quarantineWindow: Duration = .seconds(300), hangGrace: Duration = .milliseconds(100)
    ) {
        self.defaultIsolation = defaultIsolation
        var byName = byName
        for bundled in Self.bundledPlugins where byName[bundled] == nil { byName[bundled] = PluginIsolation.none }
        self.byName = byName
        self.workerExecutable = workerExecutable
        self.initTimeout = initTimeout
        self.restartDelay = restartDelay
        self.maxRestartDelay = maxRestartDelay
        self.quarantineAfter = quarantineAfter
        self.quarantineWindow = quarantineWindow
        self.hangGrace = hangGrace
    }

    /// The isolation of the plugin named `name`.
    public func isolation(of name: String) -> PluginIsolation { byName[name] ?? defaultIsolation }
}
