/// Why a plugin file could not be used, naming the file and what was expected and
/// found. Codes are a closed but growable set.
public struct PluginLoadError: Error, CustomStringConvertible, Equatable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case fileNotFound, notASharedLibrary, entrySymbolMissing, entryReturnedNull,
                abiMismatch, invalidDescriptor, duplicatePluginName, initFailed, infoSectionConflict, swiftVersionMismatch,
                workerFailed, untrusted, invalidArguments
        }
        private let value: Value

        private init(value: Value) { self.value = value }

        /// The path does not exist or cannot be read.
        public static let fileNotFound = Code(value: .fileNotFound)
        /// `dlopen` refused the file (not ELF, wrong architecture, missing dependency).
        public static let notASharedLibrary = Code(value: .notASharedLibrary)
        /// The file does not export `hh_plugin_entry_v1`.
        public static let entrySymbolMissing = Code(value: .entrySymbolMissing)
        /// The entry returned NULL.
        public static let entryReturnedNull = Code(value: .entryReturnedNull)
        /// Built for an ABI version this host does not support.
        public static let abiMismatch = Code(value: .abiMismatch)
        /// The descriptor breaks a rule of the header (sizes, names, flags, NULLs).
        public static let invalidDescriptor = Code(value: .invalidDescriptor)
        /// Another loaded plugin has the same name.
        public static let duplicatePluginName = Code(value: .duplicatePluginName)
        /// The plugin's `init` reported failure.
        public static let initFailed = Code(value: .initFailed)
        /// Its info section's name is built in or taken by another plugin.
        public static let infoSectionConflict = Code(value: .infoSectionConflict)
        /// A Swift plugin built by another Swift version than the host's.
        public static let swiftVersionMismatch = Code(value: .swiftVersionMismatch)

        /// An isolated plugin's worker process could not be started, or died or hung
        /// before the plugin was ready.
        public static let workerFailed = Code(value: .workerFailed)
        /// The plugin's `validate` (ABI 1.3) refused a configured check's arguments.
        public static let invalidArguments = Code(value: .invalidArguments)
        /// The file or a folder it is found in breaks the trust rules (`plugins.trust`).
        public static let untrusted = Code(value: .untrusted)

        public var description: String { value.rawValue }

        /// The code named `name` (its ``description``), as a worker reports it.
        init?(named name: String) {
            guard let value = Value(rawValue: name) else { return nil }
            self.value = value
        }
    }

    /// The kind of failure.
    public let code: Code
    /// The plugin file (or configured path).
    public let path: String
    /// What went wrong, without the path.
    public let message: String
    /// The name the plugin declares, once its descriptor was read.
    public private(set) var pluginName: String?
    /// The C symbol that failed (the entry point, a hook), if one did.
    public private(set) var symbol: String?

    /// Creates an error.
    public init(_ code: Code, path: String, _ message: String, pluginName: String? = nil, symbol: String? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.pluginName = pluginName
        self.symbol = symbol
    }

    /// The same error, naming the plugin (unless it names one already).
    func naming(plugin name: String) -> PluginLoadError {
        var named = self
        if named.pluginName == nil { named.pluginName = name }
        return named
    }

    /// `plugin PATH: MESSAGE`.
    public var description: String { "plugin \(path): \(message)" }
}
