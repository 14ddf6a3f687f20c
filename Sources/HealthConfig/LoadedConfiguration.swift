import HealthCore
import HealthPOSIX
import HealthYAML

/// A decoded, validated config together with where it came from, so that later stages
/// (plugin loading, check registration) can report errors with the file and line.
public struct LoadedConfiguration: Sendable {
    /// The settings.
    public var configuration: HostConfiguration
    /// The config file's path, as given.
    public let file: String
    /// The folder relative paths in the config are resolved against.
    public let directory: String
    /// The file's values as written (for the `/environment` config section, redacted there).
    public let values: ConfigValue
    private let positions: NodePositions

    init(configuration: HostConfiguration, file: String, directory: String, values: ConfigValue, positions: NodePositions) {
        self.configuration = configuration
        self.values = values
        self.file = file
        self.directory = directory
        self.positions = positions
    }

    /// An error about the value at `path`, with its line and column.
    public func error(at path: [ConfigPathElement], _ message: String) -> ConfigError {
        let mark = positions.mark(of: path)
        return ConfigError(file: file, line: mark?.line, column: mark?.column, keyPath: path.dotted, message: message)
    }

    /// `path` made absolute against the config file's folder.
    public func resolve(path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FilePaths.absolute(path, in: directory)
    }
}

/// Line and column of every node of a parsed YAML document, by key path.
struct NodePositions: Sendable {
    let root: YAMLNode?

    /// The node at `path`, if the path exists.
    func node(at path: [ConfigPathElement]) -> YAMLNode? { walk(path).node }

    /// The position of `path`, or of the deepest part of it that exists.
    func mark(of path: [ConfigPathElement]) -> YAMLMark? { walk(path).mark }

    /// Follows `path` as far as it exists: the node at its end (`nil` when it breaks off)
    /// and the mark of the deepest part found.
    private func walk(_ path: [ConfigPathElement]) -> (node: YAMLNode?, mark: YAMLMark?) {
        guard var node = root else { return (nil, nil) }
        var mark = node.mark
        for element in path {
            switch element {
            case .key(let key):
                guard let pair = node.pair(forKey: key) else { return (nil, mark) }
                mark = pair.key.mark
                node = pair.value
            case .index(let index):
                guard let items = node.sequence, index < items.count else { return (nil, mark) }
                node = items[index]
                mark = node.mark
            }
        }
        return (node, mark)
    }
}
