/// The decoded query string of a request, in order, repeats kept.
public struct QueryParameters: Sendable, Equatable {
    /// Every `name=value` pair; a bare `name` has an empty value.
    public let pairs: [(name: String, value: String)]

    /// Creates parameters from pairs.
    public init(_ pairs: [(name: String, value: String)] = []) { self.pairs = pairs }

    /// Parses `a=1&b=x%20y&flag`; `+` means a space. `nil` when a percent escape is invalid.
    public init?(parsing query: Substring) {
        // Scans the UTF-8 bytes: '&' and '=' are ASCII, so every cut is at a character
        // boundary. (Substring.split with a literal can end up in Foundation's
        // locale-aware search, which showed in profiles of every request.)
        var pairs: [(name: String, value: String)] = []
        let bytes = query.utf8
        var partStart = bytes.startIndex
        while partStart < bytes.endIndex {
            let partEnd = bytes[partStart...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            if partStart < partEnd {
                let part = bytes[partStart..<partEnd]
                let equals = part.firstIndex(of: UInt8(ascii: "="))
                let nameBytes = part[..<(equals ?? partEnd)]
                guard let name = Self.decode(Substring(nameBytes)) else { return nil }
                var value = ""
                if let equals {
                    guard let decoded = Self.decode(Substring(part[bytes.index(after: equals)...])) else { return nil }
                    value = decoded
                }
                pairs.append((name, value))
            }
            partStart = partEnd < bytes.endIndex ? bytes.index(after: partEnd) : partEnd
        }
        self.pairs = pairs
    }

    /// The first value of `name`, or `nil` when absent.
    public func first(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// All values of `name`, in order.
    public func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    /// Whether `name` is present (with or without a value).
    public func contains(_ name: String) -> Bool {
        pairs.contains { $0.name == name }
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    private static func decode(_ text: Substring) -> String? {
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) { return String(text) }
        return PercentDecoding.decode(text, plusIsSpace: true)
    }
}
