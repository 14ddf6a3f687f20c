/// YAML 1.1's resolution of plain scalars, as PyYAML and Yams (and so the configs written
/// for healthhost so far) read them: `yes`/`on` are true, `0644` is octal, `1_000` is a
/// thousand, `1:30` is ninety (base 60), `.inf` and `.nan` are numbers. Quoted and block
/// scalars are always text.
extension YAMLScalar {
    /// Whether this is YAML's null: a plain `~`, `null`, `Null`, `NULL` or nothing at all.
    public var isNull: Bool {
        guard isPlain else { return false }
        switch text {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// The boolean this scalar means: `true`/`yes`/`on` and `false`/`no`/`off`, any case.
    public var bool: Bool? {
        guard isPlain else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// The integer this scalar means: decimal, `0x` hex, `0o` or leading-zero octal,
    /// `0b` binary, `_` separators, base 60 (`1:30`), with an optional sign.
    public var integer: Int? {
        guard isPlain else { return nil }
        let digits = text.filter { $0 != "_" }
        if digits == "0" { return 0 }
        let (negative, unsigned) = Self.sign(of: digits)
        guard !unsigned.isEmpty, unsigned.first != "-", unsigned.first != "+" else { return nil }
        let sign = negative ? "-" : ""
        for (prefix, radix) in [("0x", 16), ("0b", 2), ("0o", 8), ("0", 8)] where unsigned.hasPrefix(prefix) {
            return Int(sign + unsigned.dropFirst(prefix.count), radix: radix)
        }
        if unsigned.contains(":") {
            return Self.sexagesimal(unsigned, negative: negative, digit: { Int($0, radix: 10) })
        }
        return Int(digits, radix: 10)
    }

    /// The number this scalar means: anything `integer` reads, decimals and exponents,
    /// `.inf`, `-.inf`, `.nan` (any case), base 60.
    public var double: Double? {
        guard isPlain else { return nil }
        switch text.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default: break
        }
        let digits = text.filter { $0 != "_" }
        if digits.contains(":") {
            let (negative, unsigned) = Self.sign(of: digits)
            return Self.sexagesimal(unsigned, negative: negative, digit: { Double($0) })
        }
        return Double(digits)
    }

    /// Whether `digits` starts with `-`, and what follows its sign (`-` or `+`).
    private static func sign(of digits: String) -> (negative: Bool, unsigned: Substring) {
        let signed = digits.hasPrefix("-") || digits.hasPrefix("+")
        return (digits.hasPrefix("-"), signed ? digits.dropFirst() : Substring(digits))
    }

    /// `1:30:05` as 1×3600 + 30×60 + 5; `nil` when a part is not a number or the value
    /// does not fit an `Int`.
    private static func sexagesimal(_ text: Substring, negative: Bool, digit: (Substring) -> Int?) -> Int? {
        var value = 0
        for part in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard let part = digit(part) else { return nil }
            let (shifted, overflowed) = value.multipliedReportingOverflow(by: 60)
            let (sum, overflowedAgain) = shifted.addingReportingOverflow(part)
            guard !overflowed, !overflowedAgain else { return nil }
            value = sum
        }
        return negative ? -value : value
    }

    /// The same in floating point.
    private static func sexagesimal(_ text: Substring, negative: Bool, digit: (Substring) -> Double?) -> Double? {
        var value = 0.0
        for part in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard let part = digit(part) else { return nil }
            value = value * 60 + part
        }
        return negative ? -value : value
    }
}
