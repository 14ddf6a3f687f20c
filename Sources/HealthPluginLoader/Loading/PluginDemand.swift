/// Which of the plugins found in a plugin folder the host will use.
///
/// A folder holds what an image ships (every bundled plugin); a host usually uses two or
/// three of them. A plugin it does not use is described (name, version, checks, file
/// digest: what `healthhost plugins` and the environment endpoints list) but not
/// initialised, and with isolation on by default it is never opened in the host process
/// at all: its shared libraries (libcurl, libpq, libmariadb and what they pull in, about
/// 6 MB of resident memory for the bundled ones) stay out of the host, and an isolated
/// one costs no worker process. A file named directly in `plugins.paths` is always used.
public enum PluginDemand: Sendable {
    /// Every plugin is used (a config without a `checks` list serves every plugin's checks).
    case every
    /// The plugins with these names are used: the ones a configured check or a
    /// `plugins.config` entry names.
    case named(Set<String>)

    /// Whether the host uses the plugin `descriptor` describes. A plugin with an info
    /// section is always used: the environment endpoints serve its section.
    public func wants(_ descriptor: PluginDescriptor) -> Bool {
        switch self {
        case .every: true
        case .named(let names): names.contains(descriptor.name) || descriptor.infoSection != nil
        }
    }
}

/// A plugin found in a folder that the host does not use (see ``PluginDemand``): described,
/// never initialised.
public struct IdlePlugin: Sendable {
    /// The file.
    public let path: String
    /// SHA-256 of the file, lowercase hex.
    public let sha256: String
    /// What its descriptor says.
    public let descriptor: PluginDescriptor

    /// The plugin's name.
    public var name: String { descriptor.name }
}
