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
                let (path, message) = describe(error)
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

    private static func describe(_ error: DecodingError) -> ([ConfigPathElement], String) {
        switch error {
        case .typeMismatch(let type, let context):
            return (context.codingPath.map(ConfigPathElement.init), "expected \(typeName(type)); \(context.debugDescription)")
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

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default:
            String(describing: type).hasPrefix("Array") ? "a list" : "a mapping"
        }
    }
}
