/// Who may call a dialect's check endpoints (`access` under each dialect).
public enum AccessSetting: String, Sendable, CaseIterable, ConfigEnum {
    /// Only callers presenting the secret; others get 401.
    case required
    /// Anyone gets statuses; messages and failure reasons only with the secret.
    case `public`
}

/// `http.kubernetes`: `/livez`, `/readyz`, `/startupz` as the Kubernetes API server serves them.
public struct KubernetesDialectConfiguration: Sendable, Decodable {
    /// `enabled` (default true).
    public var enabled = true
    /// `prefix`: put before `/livez` etc.; empty by default.
    public var prefix = ""
    /// `access` (default `public`, as the API server's probes are).
    public var access = AccessSetting.public
    /// `failure_status` (default 500, as Kubernetes).
    public var failureStatus = 500

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, prefix, access
        case failureStatus = "failure_status"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.optional(.enabled) ?? enabled
        prefix = try container.optional(.prefix) ?? prefix
        access = try container.optional(.access) ?? access
        failureStatus = try container.optional(.failureStatus) ?? failureStatus
    }
}

/// `http.runscope`: Runscope healthcheck's `/healthcheck` and `/environment`.
public struct RunscopeDialectConfiguration: Sendable, Decodable {
    /// `enabled` (default false).
    public var enabled = false
    /// `path` of the check endpoint (default `/healthcheck`).
    public var path = "/healthcheck"
    /// `access` (default `required`: results carry each check's output).
    public var access = AccessSetting.required
    /// `success_status` (default 200).
    public var successStatus = 200
    /// `failure_status` (default 500).
    public var failureStatus = 500
    /// `headers`: extra response headers of the check endpoint.
    public var headers: [String: String] = [:]
    /// `environment`: the environment dump.
    public var environment = EnvironmentEndpointConfiguration()

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, path, access
        case successStatus = "success_status"
        case failureStatus = "failure_status"
        case headers, environment
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.optional(.enabled) ?? enabled
        path = try container.optional(.path) ?? path
        access = try container.optional(.access) ?? access
        successStatus = try container.optional(.successStatus) ?? successStatus
        failureStatus = try container.optional(.failureStatus) ?? failureStatus
        headers = try container.optional(.headers) ?? headers
        environment = try container.optional(.environment) ?? environment
    }
}

/// `http.runscope.environment`: which sections `/environment` shows. It always requires
/// the secret.
public struct EnvironmentEndpointConfiguration: Sendable, Decodable {
    /// `enabled` (default true, when the dialect is).
    public var enabled = true
    /// `path` (default `/environment`).
    public var path = "/environment"
    /// `os`, `runtime`, `process`, `config`, `plugins`: the built-in sections (each true).
    public var os = true
    public var runtime = true
    public var process = true
    public var config = true
    public var plugins = true
    /// `plugin_sections`: the plugins' own info sections (true).
    public var pluginSections = true

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, path, os, runtime, process, config, plugins
        case pluginSections = "plugin_sections"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.optional(.enabled) ?? enabled
        path = try container.optional(.path) ?? path
        os = try container.optional(.os) ?? os
        runtime = try container.optional(.runtime) ?? runtime
        process = try container.optional(.process) ?? process
        config = try container.optional(.config) ?? config
        plugins = try container.optional(.plugins) ?? plugins
        pluginSections = try container.optional(.pluginSections) ?? pluginSections
    }

    /// The built-in section names switched on.
    public var enabledSections: [String] {
        [("os", os), ("runtime", runtime), ("process", process), ("config", config), ("plugins", plugins)]
            .filter(\.1).map(\.0)
    }
}

/// `http.actuator`: Spring-Actuator-style `/z/...` (flask-management-endpoints).
public struct ActuatorDialectConfiguration: Sendable, Decodable {
    /// `enabled` (default false).
    public var enabled = false
    /// `prefix` (default `/z`).
    public var prefix = "/z"
    /// `access` (default `public`: statuses for anyone, details with the secret).
    public var access = AccessSetting.public
    /// `service_dependencies`: name → `host[:port]` or `http://` URL of a remote
    /// actuator health endpoint.
    public var serviceDependencies: [String: String] = [:]
    /// `dependency_timeout`: seconds per remote call (default 3).
    public var dependencyTimeout: Duration = .seconds(3)
    /// `dependency_success_ttl` / `dependency_failure_ttl`: seconds remote results are
    /// reused (defaults 27 and 9, Runscope's).
    public var dependencySuccessTTL: Duration = .seconds(27)
    public var dependencyFailureTTL: Duration = .seconds(9)

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, prefix, access
        case serviceDependencies = "service_dependencies"
        case dependencyTimeout = "dependency_timeout"
        case dependencySuccessTTL = "dependency_success_ttl"
        case dependencyFailureTTL = "dependency_failure_ttl"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.optional(.enabled) ?? enabled
        prefix = try container.optional(.prefix) ?? prefix
        access = try container.optional(.access) ?? access
        serviceDependencies = try container.optional(.serviceDependencies) ?? serviceDependencies
        dependencyTimeout = try container.seconds(.dependencyTimeout, .positive) ?? dependencyTimeout
        dependencySuccessTTL = try container.seconds(.dependencySuccessTTL, .nonNegative) ?? dependencySuccessTTL
        dependencyFailureTTL = try container.seconds(.dependencyFailureTTL, .nonNegative) ?? dependencyFailureTTL
    }
}

/// `http.heartbeat`: oarepo-heartbeat's `/.well-known/heartbeat/...`.
public struct HeartbeatDialectConfiguration: Sendable, Decodable {
    /// `enabled` (default false).
    public var enabled = false
    /// `prefix` (default `/.well-known/heartbeat`).
    public var prefix = "/.well-known/heartbeat"
    /// `access` of readiness and liveliness (default `public`); `environ` always
    /// requires the secret.
    public var access = AccessSetting.public

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case enabled, prefix, access }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.optional(.enabled) ?? enabled
        prefix = try container.optional(.prefix) ?? prefix
        access = try container.optional(.access) ?? access
    }
}

/// `http.metrics`: the Prometheus exposition.
public struct MetricsEndpointConfiguration: Sendable, Decodable {
    /// `enabled` (default true).
    public var enabled = true
    /// `path` (default `/metrics`).
    public var path = "/metrics"
    /// `access` (default `required`: Prometheus sends the secret as
    /// `authorization: { credentials_file: ... }`; `public` serves anyone — the series
    /// carry check names, statuses, durations and plugin versions, never messages).
    public var access = AccessSetting.required

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case enabled, path, access }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try container.optional(.enabled) ?? enabled
        path = try container.optional(.path) ?? path
        access = try container.optional(.access) ?? access
    }
}

/// `service`: who this host speaks for, in `/z/info`, `/z/version`, health+json and
/// OpenTelemetry resource attributes.
public struct ServiceConfiguration: Sendable, Decodable {
    /// `service.name` (default `healthhost`).
    public var name: String?
    /// `service.version`; unset falls back to the `VERSION` environment variable, then `unknown`.
    public var version: String?
    /// `service.show_environment`: environment variables whose values the environment
    /// endpoints show, besides the built-in list; every other value is `********`.
    public var showEnvironment: [String] = []

    /// Variables whose values are shown without being asked for: names that say where
    /// and how the process runs, never credentials (Spring Boot 3 shows no value at all
    /// by default; these are the ones an on-call engineer needs).
    public static let shownEnvironment: Set<String> = [
        "PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "HOSTNAME", "HOME", "USER", "LOGNAME", "SHELL", "TERM",
        "PWD", "VERSION", "OTEL_SERVICE_NAME", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "POD_NAME",
        "POD_NAMESPACE", "NODE_NAME",
    ]

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, version
        case showEnvironment = "show_environment"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.optional(.name)
        version = try container.optional(.version)
        showEnvironment = try container.optional(.showEnvironment) ?? showEnvironment
    }
}
