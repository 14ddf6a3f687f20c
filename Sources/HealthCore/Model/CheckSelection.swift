/// Which checks a request asks for: the `checks` query parameter of the native API.
public enum CheckSelection: Sendable, Equatable {
    /// The default set (no parameter, or `_defaults`).
    case defaults
    /// These names, in order; ``defaultsToken`` stands for the default set. Empty: none.
    case names([String])

    /// The name that stands for the default set inside a list.
    public static let defaultsToken = "_defaults"

    /// Parses the parameter as the seed does: missing means the defaults; otherwise a
    /// comma-separated list of names, each trimmed of whitespace, empty items dropped, so
    /// an empty value selects no checks at all.
    public static func parse(queryValue: String?) -> CheckSelection {
        guard let queryValue else { return .defaults }
        let names = queryValue.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
        return .names(names)
    }
}
