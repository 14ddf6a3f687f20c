public import HealthHTTP

/// The whole host configuration, as read from the YAML file. Every key is optional;
/// README.md documents each one.
///
/// ```yaml
/// listen: { host: 127.0.0.1, port: 8080 }
/// auth:   { secret_file: /var/run/secrets/health/secret }
/// plugins:
///   paths: [/usr/lib/healthhost/plugins]
/// checks:
///   - { name: foo, plugin: core, check: "true" }
/// ```
public struct HostConfiguration: Sendable, Decodable {
    /// Where the HTTP server listens.
    public var listen = ListenConfiguration()
    /// The shared secret that protects check results.
    public var auth = AuthConfiguration()
    /// Where plugins come from and their own settings.
    public var plugins = PluginsConfiguration()
    /// The checks to serve; `nil` registers every check of every plugin as `plugin.check`.
    public var checks: [CheckConfiguration]?
    /// How checks run.
    public var engine = EngineConfiguration()
    /// HTTP server behaviour and the dialects it speaks.
    public var http = HTTPConfiguration()
    /// Log output.
    public var logging = LoggingConfiguration()
    /// The service this host speaks for (name, version).
    public var service = ServiceConfiguration()

    /// The defaults: what an empty file means.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, auth, plugins, checks, engine, http, logging, service
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        listen = try container.optional(.listen) ?? listen
        auth = try container.optional(.auth) ?? auth
        plugins = try container.optional(.plugins) ?? plugins
        checks = try container.optional(.checks)
        engine = try container.optional(.engine) ?? engine
        http = try container.optional(.http) ?? http
        logging = try container.optional(.logging) ?? logging
        service = try container.optional(.service) ?? service
    }
}

/// `listen`: the address of the HTTP server.
public struct ListenConfiguration: Sendable, Decodable {
    /// `listen.host`: address to bind; `0.0.0.0` for all IPv4 interfaces (in a pod).
    public var host = "127.0.0.1"
    /// `listen.port`: TCP port; 0 picks a free one.
    public var port = 8080

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case host, port }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        host = try container.optional(.host) ?? host
        port = try container.optional(.port) ?? port
    }
}

/// `auth`: the shared secret. Exactly one source, or `disabled: true`; the
/// `HEALTH_URL_SECRET` environment variable overrides the file's choice.
public struct AuthConfiguration: Sendable, Decodable {
    /// `auth.secret`: the secret itself (prefer `secret_file`).
    public var secret: String?
    /// `auth.secret_file`: a file holding the secret (e.g. a Kubernetes Secret mount).
    public var secretFile: String?
    /// `auth.disabled`: serve check results to anyone.
    public var disabled = false
    /// `auth.reload_interval`: seconds between re-reads of `secret_file` (0: never).
    public var reloadInterval: Duration = .seconds(10)

    /// The defaults: nothing configured (the host then refuses to start).
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case secret
        case secretFile = "secret_file"
        case disabled
        case reloadInterval = "reload_interval"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        secret = try container.optional(.secret)
        secretFile = try container.optional(.secretFile)
        disabled = try container.optional(.disabled) ?? disabled
        reloadInterval = try container.seconds(.reloadInterval, .nonNegative) ?? reloadInterval
    }
}

/// `plugins`: where plugin files are and what each plugin is told at `init`.
public struct PluginsConfiguration: Sendable, Decodable {
    /// What to do with a plugin that fails to load.
    public enum ErrorPolicy: String, Sendable, CaseIterable, ConfigEnum {
        /// Stop start-up with an error (the default).
        case fail
        /// Log it, list it as broken and start without it.
        case skip
    }

    /// `plugins.paths`: files, or folders whose `hh-*.so` / `libhh-*.so` files are
    /// loaded. Relative paths are relative to the config file's folder.
    public var paths: [String] = []
    /// `plugins.on_error`: `fail` or `skip`.
    public var onError = ErrorPolicy.fail
    /// `plugins.config`: per plugin name, the value handed to that plugin's `init`.
    public var config: [String: ConfigValue] = [:]

    /// Where a plugin runs.
    public enum Isolation: String, Sendable, CaseIterable, ConfigEnum {
        /// In the host process.
        case none
        /// In a worker process of its own.
        case process
    }

    /// `plugins.isolation`: per plugin name, and `default` for every third-party plugin
    /// not named (unset: `process`); the bundled plugins, known by folder and digest
    /// (`BundledPlugins`), run in-process unless named.
    public var isolation: [String: Isolation] = [:]
    /// `plugins.init_timeout`: seconds a plugin's `init` (isolated: its whole start) may take.
    public var initTimeout: Duration = .seconds(10)
    /// `plugins.restart_delay`: seconds before the first restart of a worker that died;
    /// doubled per death, ±20 % jitter.
    public var restartDelay: Duration = .seconds(1)
    /// `plugins.max_restart_delay`: the longest restart delay, in seconds.
    public var maxRestartDelay: Duration = .seconds(60)
    /// `plugins.quarantine_after`: deaths within `quarantine_window` that quarantine a plugin.
    public var quarantineAfter = 5
    /// `plugins.quarantine_window`: seconds.
    public var quarantineWindow: Duration = .seconds(300)

    /// How plugin files are vetted before they are opened.
    public enum Trust: String, Sendable, CaseIterable, ConfigEnum {
        /// Refuse files and folders writable by group or others or owned by another user.
        case strict
        /// No ownership or mode checks: for development only.
        case relaxed
    }

    /// `plugins.trust`: `strict` (default) or `relaxed`.
    public var trust = Trust.strict
    /// `plugins.allowed_digests`: SHA-256 digests (hex) of the only plugin files allowed;
    /// empty allows any file that passes `trust`.
    public var allowedDigests: [String] = []

    /// The isolation of plugins without an entry of their own.
    public var defaultIsolation: Isolation { isolation["default"] ?? .process }

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case paths
        case onError = "on_error"
        case config, isolation
        case initTimeout = "init_timeout"
        case restartDelay = "restart_delay"
        case maxRestartDelay = "max_restart_delay"
        case quarantineAfter = "quarantine_after"
        case quarantineWindow = "quarantine_window"
        case trust
        case allowedDigests = "allowed_digests"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        paths = try container.optional(.paths) ?? paths
        onError = try container.optional(.onError) ?? onError
        config = try container.optional(.config) ?? config
        isolation = try container.optional(.isolation) ?? isolation
        initTimeout = try container.seconds(.initTimeout, .positive) ?? initTimeout
        restartDelay = try container.seconds(.restartDelay, .positive) ?? restartDelay
        maxRestartDelay = try container.seconds(.maxRestartDelay, .positive) ?? maxRestartDelay
        quarantineAfter = try container.optional(.quarantineAfter) ?? quarantineAfter
        quarantineWindow = try container.seconds(.quarantineWindow, .positive) ?? quarantineWindow
        trust = try container.optional(.trust) ?? trust
        allowedDigests = try container.optional(.allowedDigests) ?? allowedDigests
    }
}

/// One entry of `checks`: a served name bound to a plugin's check.
public struct CheckConfiguration: Sendable, Decodable {
    /// `name`: the name requests use; defaults to the plugin check's name.
    public var name: String
    /// `plugin`: the plugin's name (from its descriptor, not its file name).
    public var plugin: String
    /// `check`: the check's name within the plugin.
    public var check: String
    /// `default`: whether it is in the default set; unset follows the plugin's flag.
    public var isDefault: Bool?
    /// `groups`: tags such as `liveness`, `readiness`, `startup`.
    public var groups: [String]
    /// `timeout`: seconds; unset follows the plugin's suggestion, then `engine.timeout`.
    public var timeout: Duration?
    /// `args`: values for the check's declared parameters.
    public var args: [String: ConfigValue]
    /// `success_ttl`: seconds a passing (or warning) result is reused; unset follows
    /// `engine.success_ttl`.
    public var successTTL: Duration?
    /// `failure_ttl`: seconds a failing result is reused; unset follows `engine.failure_ttl`.
    public var failureTTL: Duration?
    /// `interval`: seconds between background runs; requests then read the latest result.
    public var interval: Duration?
    /// `stale_after`: seconds after which a background result counts as failed; unset is
    /// two intervals plus the timeout.
    public var staleAfter: Duration?
    /// `fail_after`: failing runs in a row before a passing check reports fail; unset
    /// follows `engine.fail_after`.
    public var failAfter: Int?
    /// `pass_after`: passing runs in a row before a failing check reports pass.
    public var passAfter: Int?
    /// `fail_after_seconds`: seconds in error, besides `fail_after` runs, before it reports fail.
    public var failAfterTime: Duration?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, plugin, check
        case isDefault = "default"
        case groups, timeout, args
        case successTTL = "success_ttl"
        case failureTTL = "failure_ttl"
        case interval
        case staleAfter = "stale_after"
        case failAfter = "fail_after"
        case passAfter = "pass_after"
        case failAfterSeconds = "fail_after_seconds"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        plugin = try container.decode(String.self, forKey: .plugin)
        check = try container.decode(String.self, forKey: .check)
        name = try container.optional(.name) ?? check
        isDefault = try container.optional(.isDefault)
        groups = try container.optional(.groups) ?? []
        timeout = try container.seconds(.timeout, .positive)
        args = try container.optional(.args) ?? [:]
        successTTL = try container.seconds(.successTTL, .nonNegative)
        failureTTL = try container.seconds(.failureTTL, .nonNegative)
        interval = try container.seconds(.interval, .positive)
        staleAfter = try container.seconds(.staleAfter, .positive)
        failAfter = try container.optional(.failAfter)
        passAfter = try container.optional(.passAfter)
        failAfterTime = try container.seconds(.failAfterSeconds, .positive)
    }
}

/// `engine`: how checks run.
public struct EngineConfiguration: Sendable, Decodable {
    /// `engine.timeout`: seconds a check may take when neither the config entry nor the
    /// plugin says otherwise.
    public var timeout: Duration = .seconds(5)
    /// `engine.threads`: worker threads for plugin calls; unset sizes the pool so that
    /// every check can be stuck in a call at once without starving the others.
    public var threads: Int?
    /// `engine.success_ttl`: seconds a passing (or warning) result is reused, for checks
    /// that do not set their own; 0 runs the check for every request.
    public var successTTL: Duration = .zero
    /// `engine.failure_ttl`: the same for failing results.
    public var failureTTL: Duration = .zero
    /// `engine.fail_after`, `engine.pass_after`, `engine.fail_after_seconds`: flap
    /// damping for checks that set none (defaults 1, 1, unset: no damping).
    public var failAfter = 1
    public var passAfter = 1
    public var failAfterTime: Duration?

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case timeout, threads
        case successTTL = "success_ttl"
        case failureTTL = "failure_ttl"
        case failAfter = "fail_after"
        case passAfter = "pass_after"
        case failAfterSeconds = "fail_after_seconds"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        timeout = try container.seconds(.timeout, .positive) ?? timeout
        threads = try container.optional(.threads)
        successTTL = try container.seconds(.successTTL, .nonNegative) ?? successTTL
        failureTTL = try container.seconds(.failureTTL, .nonNegative) ?? failureTTL
        failAfter = try container.optional(.failAfter) ?? failAfter
        passAfter = try container.optional(.passAfter) ?? passAfter
        failAfterTime = try container.seconds(.failAfterSeconds, .positive)
    }
}

/// `logging`: log output (to standard error).
public struct LoggingConfiguration: Sendable, Decodable {
    /// `logging.level`: trace, debug, info, notice, warning, error or critical.
    public var level = "info"
    /// `logging.access`: which HTTP requests get an `info` line (method, path, status,
    /// client, query with the secret hidden, time taken).
    public var access = RequestLogPolicy.none
    /// `logging.format`: `text` (one line per event, metadata as `key=value`) or `json`
    /// (one JSON object per line, metadata as fields), for log collectors.
    public var format = LogFormat.text

    /// How log lines are written.
    public enum LogFormat: String, Sendable, CaseIterable, ConfigEnum {
        /// `2026-12-02T00:42:42+0000 info healthhost: check.name=db [HealthCore] message`.
        case text
        /// `{"time":"2026-12-02T00:42:42.123Z","level":"info","message":"...","check.name":"db",...}`.
        case json
    }

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case level, access, format }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        level = try container.optional(.level) ?? level
        access = try container.optional(.access) ?? access
        format = try container.optional(.format) ?? format
    }
}
