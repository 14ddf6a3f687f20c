import HealthCore
import HealthHTTP
import HealthJSON
import NIOHTTP1

/// The `checks` query parameter as every check-list endpoint reads it: missing or
/// `_defaults` = the default set, `a,b` = those, empty = none; unknown names are a 400
/// that names them.
enum CheckQuery {
    /// The query parameter's name.
    static let parameterName = "checks"

    static func select(_ request: HTTPRequest, in registry: CheckRegistry, ignoringUnknown: Bool = false)
        throws(HTTPError) -> [RegisteredCheck]
    {
        let values = request.query.all(parameterName)
        guard values.count <= 1 else {
            throw HTTPError(
                .error(
                    .badRequest, code: "bad_query", message: "the checks parameter is given \(values.count) times; give it once",
                    headers: HealthHeaders.noCache))
        }
        let (checks, unknown) = registry.resolve(.parse(queryValue: values.first))
        if !unknown.isEmpty && !ignoringUnknown {
            let body: JSONValue = .object([
                "error": .string("unknown_checks"),
                "message": .string("no check is registered as " + unknown.map { "'\($0)'" }.joined(separator: ", ")),
                "unknown_checks": .array(unknown.map(JSONValue.string)),
                "available_checks": .array(registry.names.map(JSONValue.string)),
            ])
            throw HTTPError(.json(body, status: .badRequest, headers: HealthHeaders.noCache))
        }
        return checks
    }
}
