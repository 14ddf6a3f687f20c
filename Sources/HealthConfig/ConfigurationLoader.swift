import Foundation
import Yams

/// Reads a YAML config file into a validated ``LoadedConfiguration``.
///
/// Every problem is a ``ConfigError`` naming the file, line, column and key path:
/// syntax errors, unknown keys, values of the wrong type, and broken rules (a port out
/// of range, two checks with one name, a secret configured twice...).
public enum ConfigurationLoader {
    /// Reads and validates the file at `path`.
    public static func load(file path: String) throws(ConfigError) -> LoadedConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, message: "cannot read the config file: \(error.localizedDescription)")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, file: path, directory: directory)
    }

    /// Parses and validates YAML text; `file` and `directory` are used for messages and
    /// relative paths.
    public static func parse(yaml: String, file: String, directory: String) throws(ConfigError) -> LoadedConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(file: file, message: "not valid YAML: \(error)")
        }
        if let root, Self.countsMoreNodes(than: Self.maximumNodes, in: root) {
            throw ConfigError(
                file: file, message: "the config expands to more than \(Self.maximumNodes) values; "
                    + "YAML aliases (*name) that repeat large anchors are refused")
        }
        let positions = NodePositions(root: root)
        let configuration: HostConfiguration
        if let root {
            guard root.mapping != nil else {
                throw ConfigError(
                    file: file, line: root.mark?.line, column: root.mark?.column,
                    message: "the top level must be a mapping of keys (listen, auth, plugins, checks, ...)")
            }
            do {
                configuration = try YAMLDecoder().decode(HostConfiguration.self, from: root)
            } catch let error as DecodingError {
                let (path, message) = describe(error, positions: positions)
                let mark = positions.mark(of: path)
                throw ConfigError(file: file, line: mark?.line, column: mark?.column, keyPath: path.dotted, message: message)
            } catch {
                throw ConfigError(file: file, message: "\(error)")
            }
        } else {
            configuration = HostConfiguration()  // an empty file: all defaults
        }
        let values = root.flatMap { try? YAMLDecoder().decode(ConfigValue.self, from: $0) } ?? .map([:])
        let loaded = LoadedConfiguration(
            configuration: configuration, file: file, directory: directory, values: values, positions: positions)
        try ConfigurationValidator(loaded: loaded).validate()
        return loaded
    }

    /// The most values a config may hold once aliases are expanded: far above any real
    /// config, far below what an alias bomb ("billion laughs") expands to.
    static let maximumNodes = 100_000

    /// Counts nodes with aliases expanded, stopping as soon as `limit` is passed, so a
    /// bomb costs at most `limit` steps.
    private static func countsMoreNodes(than limit: Int, in root: Node) -> Bool {
        var count = 0
        var pending = [root]
        while let node = pending.popLast() {
            count += 1
            if count > limit { return true }
            switch node {
            case .mapping(let mapping):
                for pair in mapping {
                    pending.append(pair.key)
                    pending.append(pair.value)
                }
            case .sequence(let sequence):
                pending.append(contentsOf: sequence)
            default:
                break
            }
        }
        return false
    }

    private static func describe(_ error: DecodingError, positions: NodePositions) -> ([ConfigPathElement], String) {
        switch error {
        case .typeMismatch(let type, let context):
            let path = context.codingPath.map(ConfigPathElement.init)
            return (path, "expected \(typeName(type)), found \(positions.node(at: path).map(describe) ?? "something else")")
        case .valueNotFound(let type, let context):
            return (context.codingPath.map(ConfigPathElement.init), "expected \(typeName(type)), found nothing")
        case .keyNotFound(let key, let context):
            return (context.codingPath.map(ConfigPathElement.init), "missing required key '\(key.stringValue)'")
        case .dataCorrupted(let context):
            return (context.codingPath.map(ConfigPathElement.init), context.debugDescription)
        @unknown default:
            return ([], "\(error)")
        }
    }

    /// A found value in words: `'abc'` for a scalar, "a list", "a mapping".
    private static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "'\(scalar.string)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is Node.Scalar.Type: "a single value"
        case is Node.Sequence.Type: "a list"
        case is Node.Mapping.Type: "a mapping"
        default:
            String(describing: type).hasPrefix("Array") ? "a list" : "a mapping"
        }
    }
}
