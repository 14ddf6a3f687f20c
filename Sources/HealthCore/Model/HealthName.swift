/// The naming rule shared by plugins, checks, parameters and configured checks:
/// 1 to 64 bytes of `[a-z0-9_.-]`.
public enum HealthName {
    /// The longest name allowed, in bytes.
    public static let maximumLength = 64

    /// Why `name` breaks the rule, or `nil` when it is valid.
    public static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "is empty" }
        if bytes.count > maximumLength {
            return "is \(bytes.count) bytes long (at most \(maximumLength) allowed)"
        }
        if let bad = bytes.first(where: { !isAllowed($0) }) {
            let shown = bad < 0x80 ? "'\(Character(Unicode.Scalar(bad)))'" : "a non-ASCII byte"
            return "contains \(shown) (allowed: a-z 0-9 _ . -)"
        }
        return nil
    }

    /// Whether `name` follows the rule.
    public static func isValid(_ name: String) -> Bool { problem(with: name) == nil }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
