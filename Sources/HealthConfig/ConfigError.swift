/// A config file that cannot be used: where (file, line, column, key path) and why.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The config file.
    public let file: String
    /// 1-based line of the offending node, when known.
    public let line: Int?
    /// 1-based column of the offending node, when known.
    public let column: Int?
    /// The key path, e.g. `checks[2].plugin`; empty for the whole file.
    public let keyPath: String
    /// What is wrong and what was expected.
    public let message: String

    /// Creates an error.
    public init(file: String, line: Int? = nil, column: Int? = nil, keyPath: String = "", message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// `file:line:column: key.path: message`.
    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}
