/// `plugins.config.system`: the machine-wide thresholds of the memory and load checks.
/// Every key is optional. (Disk and heartbeat checks take per-check `args` instead.)
///
/// ```yaml
/// plugins:
///   config:
///     system:
///       memory: { warn_available_percent: 10, fail_available_percent: 5 }
///       load: { warn_per_core: 1.5, fail_per_core: 3, window: 5 }
/// ```
struct SystemSettings: Decodable, Sendable {
    var memory = MemorySettings()
    var load = LoadSettings()

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        memory = try container.decodeIfPresent(MemorySettings.self, forKey: .memory) ?? memory
        load = try container.decodeIfPresent(LoadSettings.self, forKey: .load) ?? load
    }

    enum CodingKeys: String, CodingKey { case memory, load }

    /// Threshold pairs must be ordered so that `fail` is the worse one.
    func validate() throws {
        try requireOrder(
            "memory", fail: memory.failAvailablePercent, warn: memory.warnAvailablePercent,
            keys: ("fail_available_percent", "warn_available_percent"), failIsLower: true)
        try requireOrder(
            "load", fail: load.failPerCore, warn: load.warnPerCore, keys: ("fail_per_core", "warn_per_core"),
            failIsLower: false)
        guard [1, 5, 15].contains(load.window) else {
            throw SettingsError("config: load.window: expected 1, 5 or 15 (minutes), found \(load.window)")
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

struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
