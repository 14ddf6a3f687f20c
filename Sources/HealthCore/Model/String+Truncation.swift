extension String {
    /// The longest prefix of the string that fits in `maxBytes` of UTF-8 without cutting
    /// a character's scalar in half.
    public func truncatedToUTF8(maxBytes: Int) -> String {
        guard utf8.count > maxBytes else { return self }
        var bytes = 0
        var end = unicodeScalars.startIndex
        for index in unicodeScalars.indices {
            let width = UTF8.width(unicodeScalars[index])
            if bytes + width > maxBytes { break }
            bytes += width
            end = unicodeScalars.index(after: index)
        }
        return String(unicodeScalars[..<end])
    }
}
