/// A position in YAML source text, 1-based, as editors count.
public struct YAMLMark: Sendable, Equatable, CustomStringConvertible {
    /// The line, from 1.
    public let line: Int
    /// The column, from 1.
    public let column: Int

    /// A mark at `line`, `column`.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `line 3, column 7`.
    public var description: String { "line \(line), column \(column)" }
}

/// One value of a composed YAML document: a scalar, a list or a mapping, with where it
/// starts. Aliases are already resolved (an alias is the anchored node, shared, not
/// copied), and merge keys (`<<: *defaults`) already merged.
public struct YAMLNode: Sendable {
    /// What the node holds.
    public enum Content: Sendable {
        /// A single value, as written.
        case scalar(YAMLScalar)
        /// A list.
        case sequence([YAMLNode])
        /// Key-value pairs in the order written (merged pairs after them).
        case mapping([Pair])
    }

    /// One entry of a mapping.
    public struct Pair: Sendable {
        /// The key node (a scalar in every config healthhost reads).
        public let key: YAMLNode
        /// The value node.
        public let value: YAMLNode
    }

    /// What the node holds.
    public let content: Content
    /// Where the node starts in the source.
    public let mark: YAMLMark

    /// The scalar, when this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The items, when this node is a list.
    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The pairs, when this node is a mapping.
    public var mapping: [Pair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// The pair whose key is the scalar `key`, when this node is a mapping that has it.
    public func pair(forKey key: String) -> Pair? {
        mapping?.first { $0.key.scalar?.text == key }
    }

    /// Whether this is YAML's null: a plain `~`, `null`, `Null`, `NULL` or nothing at all.
    public var isNull: Bool { scalar?.isNull ?? false }

    /// The node in words, for error messages: `'abc'`, "a list", "a mapping".
    public var shapeDescription: String {
        switch content {
        case .scalar(let scalar): "'\(scalar.text)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// A scalar as the parser read it: its text and whether YAML may give it a type.
public struct YAMLScalar: Sendable, Equatable {
    /// The text, after YAML's unquoting and folding.
    public let text: String
    /// Written without quotes and not a block scalar (`|`, `>`), and not tagged `!!str`:
    /// only such a scalar can be null, a boolean or a number (YAML 1.1's resolution).
    public let isPlain: Bool

    /// A scalar with `text`; `isPlain` as the parser saw it.
    public init(text: String, isPlain: Bool) {
        self.text = text
        self.isPlain = isPlain
    }
}
