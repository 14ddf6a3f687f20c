import HealthCore
import HealthHTTP

/// The rules a decoded config must follow beyond its types.
struct ConfigurationValidator {
    let loaded: LoadedConfiguration
    private var config: HostConfiguration { loaded.configuration }

    init(loaded: LoadedConfiguration) { self.loaded = loaded }

    func validate() throws(ConfigError) {
        try validateListen()
        try validateAuth()
        try validatePlugins()
        try validateChecks()
        try validateEngine()
        try validateHTTP()
        try validateWorkers()
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        if !levels.contains(config.logging.level) {
            throw loaded.error(
                at: ["logging", "level"],
                "expected one of \(levels.joined(separator: ", ")), found '\(config.logging.level)'")
        }
        if config.logging.access != .none, let level = levels.firstIndex(of: config.logging.level),
            let info = levels.firstIndex(of: "info"), level > info
        {
            throw loaded.error(
                at: ["logging", "access"],
                "request lines are logged at info, which logging.level '\(config.logging.level)' hides; "
                    + "set logging.level to info (or debug, trace) or remove 'access'")
        }
    }

    private func validateListen() throws(ConfigError) {
        if config.listen.host.isEmpty { throw loaded.error(at: ["listen", "host"], "must not be empty") }
        if !(0...65535).contains(config.listen.port) {
            throw loaded.error(at: ["listen", "port"], "expected a port from 0 to 65535, found \(config.listen.port)")
        }
    }

    private func validateAuth() throws(ConfigError) {
        let auth = config.auth
        if auth.secret != nil && auth.secretFile != nil {
            throw loaded.error(at: ["auth"], "set either 'secret' or 'secret_file', not both")
        }
        if auth.disabled && (auth.secret != nil || auth.secretFile != nil) {
            throw loaded.error(
                at: ["auth", "disabled"], "'disabled: true' contradicts the configured secret; remove one of them")
        }
        if let secret = auth.secret, secret.isEmpty {
            throw loaded.error(at: ["auth", "secret"], "must not be empty")
        }
        if let file = auth.secretFile, file.isEmpty {
            throw loaded.error(at: ["auth", "secret_file"], "must not be empty")
        }
    }

    private func validatePlugins() throws(ConfigError) {
        for (index, path) in config.plugins.paths.enumerated() where path.isEmpty {
            throw loaded.error(at: ["plugins", "paths", .index(index)], "must not be empty")
        }
        for name in config.plugins.config.keys.sorted() {
            if let problem = HealthName.problem(with: name) {
                throw loaded.error(at: ["plugins", "config", .key(name)], "plugin name '\(name)' \(problem)")
            }
        }
    }

    private func validateChecks() throws(ConfigError) {
        guard let checks = config.checks else { return }
        var firstIndex: [String: Int] = [:]
        for (index, entry) in checks.enumerated() {
            let at: [ConfigPathElement] = ["checks", .index(index)]
            try requireName(entry.name, at: at + ["name"], what: "check name")
            try requireName(entry.plugin, at: at + ["plugin"], what: "plugin name")
            try requireName(entry.check, at: at + ["check"], what: "check name")
            for (groupIndex, group) in entry.groups.enumerated() {
                try requireName(group, at: at + ["groups", .index(groupIndex)], what: "group name")
                if let meant = ProbeGroup.misspelled(group) {
                    throw loaded.error(
                        at: at + ["groups", .index(groupIndex)],
                        "'\(group)' looks like a misspelling of '\(meant)', the group the \(meant) probes read; "
                            + "write '\(meant)', or choose a name further from it for a group of your own")
                }
            }
            for key in entry.args.keys.sorted() {
                try requireName(key, at: at + ["args", .key(key)], what: "argument name")
            }
            try validateRefresh(entry, at: at)
            if let first = firstIndex[entry.name] {
                let firstLine = loaded.error(at: ["checks", .index(first)], "").line.map { " (line \($0))" } ?? ""
                throw loaded.error(
                    at: at + ["name"],
                    "check name '\(entry.name)' is already used by checks[\(first)]\(firstLine); names must be unique")
            }
            firstIndex[entry.name] = index
        }
    }

    private func validateRefresh(_ entry: CheckConfiguration, at path: [ConfigPathElement]) throws(ConfigError) {
        // Each duration's own range was checked as it was decoded (ConfigSeconds).
        try validateDamping(failAfter: entry.failAfter, passAfter: entry.passAfter, at: path)
        guard let interval = entry.interval else {
            if entry.staleAfter != nil {
                throw loaded.error(
                    at: path + ["stale_after"], "applies only to checks with an 'interval' (background checks)")
            }
            return
        }
        if interval < Self.minimumInterval {
            throw loaded.error(
                at: path + ["interval"],
                "expected at least \(Self.minimumInterval.configSeconds) seconds, found \(interval.configSeconds)")
        }
        // In milliseconds, as the message says it.
        let latestNextRun = (interval.configSeconds * (1 + RefreshPolicy.jitterFraction) * 1000).rounded() / 1000
        if let staleAfter = entry.staleAfter?.configSeconds, staleAfter <= latestNextRun {
            throw loaded.error(
                at: path + ["stale_after"],
                "expected more than the interval plus its jitter (\(latestNextRun) seconds), found \(staleAfter): "
                    + "every result would turn stale before the next run replaces it; leave it unset for "
                    + "two intervals plus the timeout")
        }
        for (key, value) in [("success_ttl", entry.successTTL), ("failure_ttl", entry.failureTTL)] where value != nil {
            throw loaded.error(
                at: path + [.key(key)],
                "has no effect on a check with an 'interval': requests always read its latest result; remove one of them")
        }
    }

    /// The shortest background interval: 100 ms.
    static let minimumInterval: Duration = .milliseconds(100)

    private func validateEngine() throws(ConfigError) {
        if let threads = config.engine.threads, !(1...1024).contains(threads) {
            throw loaded.error(at: ["engine", "threads"], "expected 1 to 1024, found \(threads)")
        }
        let engine = config.engine
        try validateDamping(failAfter: engine.failAfter, passAfter: engine.passAfter, at: ["engine"])
    }

    /// Runs in a row: 1 (no damping) to 1000.
    private func validateDamping(failAfter: Int?, passAfter: Int?, at path: [ConfigPathElement]) throws(ConfigError) {
        for (key, value) in [("fail_after", failAfter), ("pass_after", passAfter)] {
            if let value, !(1...1000).contains(value) {
                throw loaded.error(at: path + [.key(key)], "expected runs in a row from 1 (no damping) to 1000, found \(value)")
            }
        }
    }

    private func validateWorkers() throws(ConfigError) {
        let plugins = config.plugins
        if plugins.maxRestartDelay < plugins.restartDelay {
            throw loaded.error(
                at: ["plugins", "max_restart_delay"],
                "expected at least plugins.restart_delay (\(plugins.restartDelay.configSeconds)), "
                    + "found \(plugins.maxRestartDelay.configSeconds)")
        }
        for (index, digest) in plugins.allowedDigests.enumerated()
        where digest.utf8.count != 64 || !digest.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0 | 0x20) }) {
            throw loaded.error(
                at: ["plugins", "allowed_digests", .index(index)],
                "expected a SHA-256 digest (64 hex digits, as `healthhost plugins` or sha256sum prints), found '\(digest)'")
        }
        if !(1...1000).contains(plugins.quarantineAfter) {
            throw loaded.error(at: ["plugins", "quarantine_after"], "expected 1 to 1000 deaths, found \(plugins.quarantineAfter)")
        }
    }

    private func validateHTTP() throws(ConfigError) {
        let http = config.http
        if !(1...1_000_000).contains(http.maxConnections) {
            throw loaded.error(at: ["http", "max_connections"], "expected 1 to 1000000 connections, found \(http.maxConnections)")
        }
        if http.maxRequestLine < 256 {
            throw loaded.error(at: ["http", "max_request_line"], "expected at least 256 bytes, found \(http.maxRequestLine)")
        }
        if http.maxHeaderBytes < 1024 {
            throw loaded.error(at: ["http", "max_header_bytes"], "expected at least 1024 bytes, found \(http.maxHeaderBytes)")
        }
        if let loops = http.eventLoops, !(1...64).contains(loops) {
            throw loaded.error(at: ["http", "event_loops"], "expected 1 to 64 threads, found \(loops)")
        }
        try requirePath(http.native.prefix, at: ["http", "native", "prefix"], example: "/health")
        try requirePath(http.kubernetes.prefix, at: ["http", "kubernetes", "prefix"], example: "/k8s", allowingEmpty: true)
        try requireStatus(http.kubernetes.failureStatus, at: ["http", "kubernetes", "failure_status"])
        try requirePath(http.runscope.path, at: ["http", "runscope", "path"], example: "/healthcheck")
        try requirePath(http.runscope.environment.path, at: ["http", "runscope", "environment", "path"], example: "/environment")
        try requireStatus(http.runscope.successStatus, at: ["http", "runscope", "success_status"])
        try requireStatus(http.runscope.failureStatus, at: ["http", "runscope", "failure_status"])
        for (name, value) in http.runscope.headers.sorted(by: { $0.key < $1.key }) {
            let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
            if name.isEmpty || !name.allSatisfy(tokenCharacters.contains) {
                throw loaded.error(at: ["http", "runscope", "headers", .key(name)], "'\(name)' is not a valid HTTP header name")
            }
            // Framing and hop-by-hop names: every response of the route would break.
            if let reason = FramingHeaderNames.reason(forRefusing: name) {
                throw loaded.error(
                    at: ["http", "runscope", "headers", .key(name)],
                    "'\(name)' cannot be configured: \(reason); remove it")
            }
            // By bytes: "\r\n" is one Character, equal neither to "\r" nor to "\n".
            if value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
                throw loaded.error(at: ["http", "runscope", "headers", .key(name)], "a header value must not contain line breaks")
            }
        }
        try requirePath(http.metrics.path, at: ["http", "metrics", "path"], example: "/metrics")
        let actuator = http.actuator
        try requirePath(actuator.prefix, at: ["http", "actuator", "prefix"], example: "/z")
        for name in actuator.serviceDependencies.keys.sorted() {
            try requireName(name, at: ["http", "actuator", "service_dependencies", .key(name)], what: "dependency name")
        }
        try requirePath(http.heartbeat.prefix, at: ["http", "heartbeat", "prefix"], example: "/.well-known/heartbeat")
        for (key, value) in [("name", config.service.name), ("version", config.service.version)] {
            if let value, value.isEmpty || value.utf8.count > 256 {
                throw loaded.error(at: ["service", .key(key)], "expected 1 to 256 bytes of text")
            }
        }
    }

    private func requirePath(
        _ path: String, at key: [ConfigPathElement], example: String, allowingEmpty: Bool = false
    ) throws(ConfigError) {
        if allowingEmpty && path.isEmpty { return }
        let valid =
            path.hasPrefix("/") && !path.contains("?") && !path.contains("#") && !path.contains("//")
            && !path.contains(" ") && (path == "/" || !path.hasSuffix("/") || key.last == .key("prefix"))
        if !valid {
            throw loaded.error(at: key, "expected a path starting with '/', like \(example); found '\(path)'")
        }
    }

    private func requireStatus(_ status: Int, at key: [ConfigPathElement]) throws(ConfigError) {
        if !(200...599).contains(status) {
            throw loaded.error(at: key, "expected an HTTP status from 200 to 599, found \(status)")
        }
    }

    private func requireName(_ name: String, at path: [ConfigPathElement], what: String) throws(ConfigError) {
        if let problem = HealthName.problem(with: name) {
            throw loaded.error(at: path, "\(what) '\(name)' \(problem)")
        }
    }
}
