import HealthOTLP

/// `http.response.status_code` for each code an HTTP response can have (100–599),
/// encoded once.
enum HTTPStatusCodeAttribute {
    private static let table = (100...599).map { code in
        EncodedSpanFields { $0.attribute("http.response.status_code", Int64(code)) }
    }

    /// The attribute for `code`; `nil` outside 100–599.
    static func encoded(_ code: Int) -> EncodedSpanFields? {
        (100...599).contains(code) ? table[code - 100] : nil
    }
}
