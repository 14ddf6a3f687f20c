import HealthCore
import HealthPOSIX
import HealthYAML

/// Reads a YAML config file into a validated ``LoadedConfiguration``.
///
/// Every problem is a ``ConfigError`` naming the file, line, column and key path:
/// syntax errors, unknown keys, values of the wrong type, and broken rules (a port out
/// of range, two checks with one name, a secret configured twice...).
public enum ConfigurationLoader {
    /// Reads and validates the file at `path`.
    public static func load(file path: String) throws(ConfigError) -> LoadedConfiguration {
        let bytes: [UInt8]
        do {
            bytes = try FileReading.bytes(atPath: path, limit: 16 << 20)
        } catch {
            throw ConfigError(file: path, message: "cannot read the config file: \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let line = PartialLine.of(firstInvalidUTF8In: bytes)
            throw ConfigError(file: path, line: line, message: "not UTF-8 text (YAML must be UTF-8)")
        }
        let directory = FilePaths.parent(of: path)
        return try parse(yaml: text, file: path, directory: directory)
    }

    /// Parses and validates YAML text; `file` and `directory` are used for messages and
    /// relative paths.
    public static func parse(yaml: String, file: String, directory: String) throws(ConfigError) -> LoadedConfiguration {
        let root: YAMLNode?
        do {
            root = try YAMLComposer.compose(yaml, limits: YAMLComposer.Limits(maximumNodes: maximumNodes))
        } catch {
            let message =
                switch error.kind {
                case .tooLarge(let limit):
                    "the config expands to more than \(limit) values; YAML aliases (*name) that repeat large anchors are refused"
                case .invalid: "not valid YAML: \(error.message)"
                }
            throw ConfigError(file: file, line: error.mark?.line, column: error.mark?.column, message: message)
        }
        // A document that is only `---` (or `~`) holds nothing: all defaults, as an empty file.
        let document = root.flatMap { $0.isNull ? nil : $0 }
        let positions = NodePositions(root: document)
        let configuration: HostConfiguration
        if let document {
            guard document.mapping != nil else {
                throw ConfigError(
                    file: file, line: document.mark.line, column: document.mark.column,
                    message: "the top level must be a mapping of keys (listen, auth, plugins, checks, ...)")
            }
            do {
                configuration = try YAMLDecoder().decode(HostConfiguration.self, from: document)
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
        let values = document.flatMap { try? YAMLDecoder().decode(ConfigValue.self, from: $0) } ?? .map([:])
        let loaded = LoadedConfiguration(
            configuration: configuration, file: file, directory: directory, values: values, positions: positions)
        try ConfigurationValidator(loaded: loaded).validate()
        return loaded
    }

    /// The most values a config may hold once aliases are expanded: far above any real
    /// config, far below what an alias bomb ("billion laughs") expands to.
    static let maximumNodes = 100_000

    private static func describe(_ error: DecodingError, positions: NodePositions) -> ([ConfigPathElement], String) {
        switch error {
        case .typeMismatch(let type, let context):
            let path = context.codingPath.map(ConfigPathElement.init)
            return (path, "expected \(typeName(type)), found \(positions.node(at: path)?.shapeDescription ?? "something else")")
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
        case is YAMLExpected.Scalar.Type: "a single value"
        case is YAMLExpected.Sequence.Type: "a list"
        case is YAMLExpected.Mapping.Type: "a mapping"
        default:
            String(describing: type).hasPrefix("Array") ? "a list" : "a mapping"
        }
    }
}

/// Where text stops being UTF-8, for the error about it.
private enum PartialLine {
    /// The 1-based line of the first byte sequence that is not UTF-8.
    static func of(firstInvalidUTF8In bytes: [UInt8]) -> Int {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var line = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): if scalar == "\n" { line += 1 }
            case .emptyInput, .error: return line
            }
        }
    }
}
