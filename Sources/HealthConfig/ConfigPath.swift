/// One step of a key path into the config: a mapping key or a list index.
public enum ConfigPathElement: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case key(String)
    case index(Int)

    public init(stringLiteral value: String) { self = .key(value) }
    public init(integerLiteral value: Int) { self = .index(value) }

    init(_ codingKey: any CodingKey) {
        self = codingKey.intValue.map(ConfigPathElement.index) ?? .key(codingKey.stringValue)
    }
}

extension [ConfigPathElement] {
    /// The path as people write it: `checks[2].plugin`.
    public var dotted: String {
        var text = ""
        for element in self {
            switch element {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}
