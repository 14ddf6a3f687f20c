/// YAML text that cannot be composed into one document: what is wrong and where.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which rule the text broke.
    public enum Kind: Sendable, Equatable {
        /// Not YAML, or YAML healthhost does not accept (duplicate keys, a second document...).
        case invalid
        /// Valid YAML that expands (through aliases) to more than the limit allows.
        case tooLarge(maximumNodes: Int)
    }

    /// Which rule the text broke.
    public let kind: Kind
    /// Where the problem is, when the parser knows.
    public let mark: YAMLMark?
    /// What is wrong, in the parser's words with its context ("did not find expected key
    /// while parsing a block mapping that starts at line 1, column 1").
    public let message: String

    /// An error at `mark`.
    public init(_ kind: Kind = .invalid, mark: YAMLMark?, message: String) {
        self.kind = kind
        self.mark = mark
        self.message = message
    }

    /// `line 3, column 7: message`.
    public var description: String { mark.map { "\($0): \(message)" } ?? message }
}
