/// `plugins.config.system`: thresholds and paths of the system checks. Every key is
/// optional.
///
/// ```yaml
/// plugins:
///   config:
///     system:
///       disk: { path: /, warn_free_percent: 10, fail_free_percent: 5 }
///       memory: { warn_available_percent: 10, fail_available_percent: 5 }
///       load: { warn_per_core: 1.5, fail_per_core: 3, window: 5 }
///       heartbeat: { path: /var/run/backup.heartbeat, max_age: 90000 }
/// ```
struct SystemSettings: Decodable, Sendable {
    var disk = DiskSettings()
    var memory = MemorySettings()
    var load = LoadSettings()
    var heartbeat = HeartbeatSettings()

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        disk = try container.decodeIfPresent(DiskSettings.self, forKey: .disk) ?? disk
        memory = try container.decodeIfPresent(MemorySettings.self, forKey: .memory) ?? memory
        load = try container.decodeIfPresent(LoadSettings.self, forKey: .load) ?? load
        heartbeat = try container.decodeIfPresent(HeartbeatSettings.self, forKey: .heartbeat) ?? heartbeat
    }

    enum CodingKeys: String, CodingKey { case disk, memory, load, heartbeat }

    /// Threshold pairs must be ordered so that `fail` is the worse one.
    func validate() throws {
        try requireOrder(
            "disk", fail: disk.failFreePercent, warn: disk.warnFreePercent, keys: ("fail_free_percent", "warn_free_percent"),
            failIsLower: true)
        try requireOrder(
            "memory", fail: memory.failAvailablePercent, warn: memory.warnAvailablePercent,
            keys: ("fail_available_percent", "warn_available_percent"), failIsLower: true)
        try requireOrder(
            "load", fail: load.failPerCore, warn: load.warnPerCore, keys: ("fail_per_core", "warn_per_core"),
            failIsLower: false)
        guard [1, 5, 15].contains(load.window) else {
            throw SettingsError("config: load.window: expected 1, 5 or 15 (minutes), found \(load.window)")
        }
        guard heartbeat.maxAge > 0 else {
            throw SettingsError("config: heartbeat.max_age: expected seconds above 0, found \(heartbeat.maxAge)")
        }
    }

    private func requireOrder(
        _ section: String, fail: Double, warn: Double, keys: (fail: String, warn: String), failIsLower: Bool
    ) throws {
        let ordered = failIsLower ? fail <= warn : fail >= warn
        guard ordered else {
            let relation = failIsLower ? "at most" : "at least"
            throw SettingsError(
                "config: \(section).\(keys.fail) (\(fail)) must be \(relation) \(section).\(keys.warn) (\(warn))")
        }
    }
}

struct DiskSettings: Decodable, Sendable {
    var path = "/"
    var warnFreePercent = 10.0
    var failFreePercent = 5.0

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decodeIfPresent(String.self, forKey: .path) ?? path
        warnFreePercent = try container.decodeIfPresent(Double.self, forKey: .warnFreePercent) ?? warnFreePercent
        failFreePercent = try container.decodeIfPresent(Double.self, forKey: .failFreePercent) ?? failFreePercent
    }

    enum CodingKeys: String, CodingKey { case path, warnFreePercent, failFreePercent }
}

struct MemorySettings: Decodable, Sendable {
    var warnAvailablePercent = 10.0
    var failAvailablePercent = 5.0

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        warnAvailablePercent = try container.decodeIfPresent(Double.self, forKey: .warnAvailablePercent) ?? warnAvailablePercent
        failAvailablePercent = try container.decodeIfPresent(Double.self, forKey: .failAvailablePercent) ?? failAvailablePercent
    }

    enum CodingKeys: String, CodingKey { case warnAvailablePercent, failAvailablePercent }
}

struct LoadSettings: Decodable, Sendable {
    var warnPerCore = 1.5
    var failPerCore = 3.0
    var window = 5

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        warnPerCore = try container.decodeIfPresent(Double.self, forKey: .warnPerCore) ?? warnPerCore
        failPerCore = try container.decodeIfPresent(Double.self, forKey: .failPerCore) ?? failPerCore
        window = try container.decodeIfPresent(Int.self, forKey: .window) ?? window
    }

    enum CodingKeys: String, CodingKey { case warnPerCore, failPerCore, window }
}

struct HeartbeatSettings: Decodable, Sendable {
    var path: String?
    var maxAge = 300.0

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        maxAge = try container.decodeIfPresent(Double.self, forKey: .maxAge) ?? maxAge
    }

    enum CodingKeys: String, CodingKey { case path, maxAge }
}

struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
