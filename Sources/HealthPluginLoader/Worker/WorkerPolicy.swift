/// Where plugins run: in the host process, or each in a worker process of its own.
public enum PluginIsolation: String, Sendable, CaseIterable {
    /// In-process: a call costs a thread hop; a crash in the plugin kills the host.
    case none
    /// In a worker process (the host's binary re-executed): a call costs a round trip
    /// over a socket; a crash, exit or hang kills only the worker, which is restarted.
    case process
}

/// How plugins are isolated and how their workers are supervised.
///
/// Where a plugin runs is decided by the operator and by what the file is, never by the
/// name the plugin gives itself: a `plugins.isolation` entry for its name (``byName``)
/// wins; otherwise a bundled plugin (``bundled``: known by its folder and digest) runs
/// in-process, and every other plugin as ``defaultIsolation`` says.
public struct IsolationPolicy: Sendable {
    /// The isolation of a third-party plugin whose name has no entry in ``byName``
    /// (`plugins.isolation.default`).
    public var defaultIsolation: PluginIsolation
    /// Per plugin name, as the config says (`plugins.isolation`): the operator's choice,
    /// for bundled and third-party plugins alike.
    public var byName: [String: PluginIsolation]
    /// Which files are the plugins shipped with this healthhost; they run in-process
    /// unless ``byName`` says otherwise.
    public var bundled: BundledPlugins
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

    /// Creates a policy; bundled plugins (by default those of the running binary, see
    /// ``BundledPlugins/ofThisHost``) run in-process unless `byName` says otherwise.
    public init(
        defaultIsolation: PluginIsolation, byName: [String: PluginIsolation] = [:], bundled: BundledPlugins = .ofThisHost,
        workerExecutable: String = "/proc/self/exe",
        initTimeout: Duration = .seconds(10), restartDelay: Duration = .seconds(1), maxRestartDelay: Duration = .seconds(60),
        quarantineAfter: Int = 5, quarantineWindow: Duration = .seconds(300), hangGrace: Duration = .milliseconds(100)
    ) {
        self.defaultIsolation = defaultIsolation
        self.byName = byName
        self.bundled = bundled
        self.workerExecutable = workerExecutable
        self.initTimeout = initTimeout
        self.restartDelay = restartDelay
        self.maxRestartDelay = maxRestartDelay
        self.quarantineAfter = quarantineAfter
        self.quarantineWindow = quarantineWindow
        self.hangGrace = hangGrace
    }

    /// Where the plugin named `name`, from a file of `origin`, runs, and why.
    public func decision(name: String, origin: PluginOrigin) -> IsolationDecision {
        let bundled = origin.isBundled
        if let chosen = byName[name] {
            return IsolationDecision(chosen, "as plugins.isolation.\(name) says; \(origin.description)", isBundled: bundled)
        }
        if bundled { return IsolationDecision(.none, origin.description, isBundled: true) }
        if defaultIsolation == .none {
            return IsolationDecision(.none, "as plugins.isolation.default says; \(origin.description)", isBundled: false)
        }
        return IsolationDecision(defaultIsolation, origin.description, isBundled: false)
    }
}

/// Where one plugin runs and why (for the log and `healthhost plugins`).
public struct IsolationDecision: Sendable, Equatable {
    /// Where it runs.
    public let isolation: PluginIsolation
    /// Why: `bundled with healthhost (…)`, `third-party (…)`, or the config entry that chose.
    public let reason: String
    /// Whether the file is one of the bundled plugins (see ``BundledPlugins``).
    public let isBundled: Bool

    /// Creates a decision.
    public init(_ isolation: PluginIsolation, _ reason: String, isBundled: Bool) {
        self.isolation = isolation
        self.reason = reason
        self.isBundled = isBundled
    }

    /// `in the host process (isolation: none), bundled with healthhost (…)`.
    public var description: String {
        let place = isolation == .process ? "in a worker process (isolation: process)" : "in the host process (isolation: none)"
        return reason.isEmpty ? place : place + ", " + reason
    }
}
