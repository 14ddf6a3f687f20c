public import HealthPluginABI

/// A check plugin written in Swift: its name, version and checks, and optional start
/// and shutdown hooks. Only C types cross into the host; the SDK builds the C
/// descriptor, copies results into the host's buffers (bounded, never cutting a UTF-8
/// character) and turns thrown errors into `fail` results.
///
/// A complete plugin:
///
/// ```swift
/// import HealthPluginSDK
///
/// let plugin = Plugin(name: "example", version: "1.0.0", summary: "Example checks.") {
///     Check("always_ok", isDefault: true) { .pass("fine") }
/// }
///
/// @c(hh_plugin_entry_v1) public func entry() -> UnsafePointer<PluginDescriptor>? { plugin.export() }
/// ```
///
/// The entry function must be `public` (otherwise the symbol is not exported and the
/// host reports "no entry symbol").
public struct Plugin: Sendable {
    /// `[a-z0-9_.-]{1,64}`, unique among the host's plugins; the host config uses it.
    public let name: String
    /// The plugin's own version, e.g. "1.4.2".
    public let version: String
    /// One line saying what the plugin checks.
    public let summary: String
    /// The checks, in order.
    public let checks: [Check]
    var start: (@Sendable (_ configJSON: String, PluginHost) throws -> Void)?
    var stop: (@Sendable (PluginHost) -> Void)?
    var infoSection: String?
    var infoBody: (@Sendable () throws -> [String: String])?

    /// Creates a plugin from the checks listed in `checks`.
    public init(name: String, version: String, summary: String = "", @CheckBuilder checks: () -> [Check]) {
        self.name = name
        self.version = version
        self.summary = summary
        self.checks = checks()
    }

    /// Runs `body` once when the host loads the plugin, before any check. A thrown
    /// error stops the plugin from loading; the host reports its text.
    public func onStart(_ body: @escaping @Sendable (PluginHost) throws -> Void) -> Plugin {
        var copy = self
        copy.start = { _, host in try body(host) }
        return copy
    }

    /// Runs `body` once at load with the plugin's configuration (the host config's
    /// `plugins.config.<name>`) decoded into `Configuration`. Keys in snake_case
    /// (`min_free_mb`) fill camelCase properties (`minFreeMb`). A decoding error stops
    /// the plugin from loading with a message that names the key.
    ///
    /// A key that no property reads (a typo such as `min_fre_mb`) stops loading too,
    /// naming the key and the keys allowed there, as the host's own config does. Pass
    /// `unknownKeys: .ignore` when some keys are read another way (`host.setting`).
    public func onStart<Configuration: Decodable & SendableMetatype>(
        decoding type: Configuration.Type, unknownKeys: UnknownKeys = .reject,
        _ body: @escaping @Sendable (Configuration, PluginHost) throws -> Void
    ) -> Plugin {
        var copy = self
        copy.start = { json, host in
            let configuration = try ConfigurationDecoding.decode(
                Configuration.self, from: json, rejectingUnknownKeys: unknownKeys == .reject)
            try body(configuration, host)
        }
        return copy
    }

    /// Runs `body` once at host shutdown (skipped while one of the plugin's checks is
    /// still running past its timeout).
    public func onShutdown(_ body: @escaping @Sendable (PluginHost) -> Void) -> Plugin {
        var copy = self
        copy.stop = body
        return copy
    }

    /// The C descriptor for the entry symbol, built on the first call and kept for the
    /// life of the process (plugins are never unloaded). One plugin per library: later
    /// calls return the first descriptor.
    public func export() -> UnsafePointer<PluginDescriptor>? {
        ExportedPlugin.export(self)
    }
}

/// What `onStart(decoding:)` does with configuration keys no property reads.
public enum UnknownKeys: Sendable {
    /// Refuse to load, naming the key (the default).
    case reject
    /// Ignore them.
    case ignore
}

/// The C ABI's plugin descriptor (`hh_plugin` in `healthhost_plugin.h`), the return
/// type of the entry symbol.
public typealias PluginDescriptor = hh_plugin

extension Plugin {
    /// Contributes an info section to the host's environment endpoints (`/environment`,
    /// `/.well-known/heartbeat/environ`, `/z/info`): key/value text, read on a host worker
    /// thread each time one of them is requested. `section` defaults to the plugin's
    /// name and must not be a built-in section name (`os`, `runtime`, `process`,
    /// `config`, `plugins`, `app`, `libraries`, `status`, `swift`, `trace.attributes`).
    /// Values of keys containing `key`, `token`, `pass` or `secret` are shown as
    /// `********`; a thrown error shows as the section's `error`.
    ///
    /// ```swift
    /// .info(section: "postgres") { ["server_version": try serverVersion()] }
    /// ```
    public func info(section: String? = nil, _ body: @escaping @Sendable () throws -> [String: String]) -> Plugin {
        var copy = self
        copy.infoSection = section ?? name
        copy.infoBody = body
        return copy
    }
}
