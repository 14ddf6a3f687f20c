import HealthPluginABI

/// An ABI version: major (incompatible changes) and minor (appended fields).
public struct ABIVersion: Sendable, Equatable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    /// The version this host implements (from the header it was built with).
    public static let host = ABIVersion(major: Int(HH_ABI_VERSION_MAJOR), minor: Int(HH_ABI_VERSION_MINOR))

    /// Creates a version.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Decodes `(major << 16) | minor`.
    init(encoded: UInt32) {
        self.init(major: Int(encoded >> 16), minor: Int(encoded & 0xffff))
    }

    public var description: String { "\(major).\(minor)" }
}

/// A plugin as its descriptor describes it, copied into Swift values.
public struct PluginDescriptor: Sendable {
    /// Unique plugin name.
    public let name: String
    /// The plugin's own version.
    public let version: String
    /// One line about the plugin; may be empty.
    public let summary: String
    /// The ABI version of the header it was built with.
    public let abiVersion: ABIVersion
    /// The Swift version a Swift plugin was built with (ABI 1.2); `nil` for C plugins.
    public let swiftVersion: String?
    /// Its checks, in descriptor order.
    public let checks: [CheckDescription]
    /// The name of its info section (ABI 1.1), or `nil` when it has none.
    public let infoSection: String?
    let hooks: PluginHooks
}

/// One check of a plugin.
public struct CheckDescription: Sendable {
    /// Name within the plugin.
    public let name: String
    /// One line about the check; may be empty.
    public let summary: String
    /// `HH_CHECK_DEFAULT`.
    public let isDefault: Bool
    /// `HH_CHECK_THREAD_SAFE`.
    public let isThreadSafe: Bool
    /// The suggested timeout, if the plugin gave one.
    public let suggestedTimeout: Duration?
    /// Declared typed parameters.
    public let parameters: [ParameterDescription]
    /// `HH_CHECK_ARGS_IN_CALL`: the function reads its arguments from `hh_call.args`
    /// instead of taking them as C arguments.
    public let argumentsInCall: Bool
    /// `nil` for a check of an isolated plugin: its worker process calls it.
    let entryPoint: CheckEntryPoint?
}

/// One declared parameter of a check.
public struct ParameterDescription: Sendable, Equatable {
    /// The parameter's type and how it is passed.
    public enum Kind: String, Sendable {
        case string, int, double, bool
    }

    /// Argument name in the config.
    public let name: String
    /// Its type.
    public let kind: Kind
    /// `HH_PARAM_SECRET`: never shown.
    public let isSecret: Bool
    /// Default as text; `nil` means required.
    public let defaultValue: String?
    /// One line about it; may be empty.
    public let summary: String
}

/// The plugin's C functions. C function pointers and the plugin's context pointers are
/// immutable for the life of the process (plugins are never unloaded).
struct PluginHooks: @unchecked Sendable {
    let initialize: hh_init_fn?
    let shutdown: hh_shutdown_fn?
    let info: hh_info_fn?
    /// ABI 1.3: checks a configured check's arguments at start-up.
    var validate: hh_validate_fn? = nil
}

/// A check's C function and the context it is called with.
struct CheckEntryPoint: @unchecked Sendable {
    let run: hh_check_fn
    let context: UnsafeRawPointer?
}
