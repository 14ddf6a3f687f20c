import HealthJSON
import HealthCore
import HealthHTTP
import NIOHTTP1

/// The IETF health check response format (draft-inadarei-api-health-check), served by
/// the native endpoint to clients that send `Accept: application/health+json`:
///
/// ```json
/// {"status": "pass", "serviceId": "orders", "version": "1.4.2", "description": "...",
///  "checks": {"db": [{"status": "pass", "time": "2026-11-25T10:00:00.123Z",
///                     "observedValue": 12, "observedUnit": "ms",
///                     "durationSeconds": 0.012, "cached": false}]}}
/// ```
///
/// `status` is the worst check's; pass and warn answer 200, fail 503 (the draft: 2xx-3xx
/// for pass and warn, 4xx-5xx for fail). `output` is left out for passing checks, as
/// the draft asks. `durationSeconds` and `cached` are healthhost's additions (the draft
/// allows extra keys).
enum HealthJSONFormat {
    static let mediaType = "application/health+json"

    /// Whether an `Accept` header asks for this format.
    static func isRequested(by request: HTTPRequest) -> Bool {
        for value in request.headers["Accept"] {
            for item in value.split(separator: ",") {
                let parts = item.split(separator: ";").map { $0.trimmingWhitespace() }
                guard parts.first?.lowercased() == mediaType else { continue }
                let refused = parts.dropFirst().contains { $0.filter { $0 != " " } == "q=0" }
                if !refused { return true }
            }
        }
        return false
    }

    static func response(for reports: [CheckReport], environment: EnvironmentReport) -> HTTPResponse {
        let overall = reports.map(\.result.status).max() ?? .pass
        var checks: [String: JSONValue] = [:]
        for report in reports {
            var entry: [String: JSONValue] = [
                "status": .string(report.result.status.description),
                "time": .string(report.finishedAt.iso8601(fractionalSeconds: true)),
                "durationSeconds": .double(report.duration.seconds),
                "cached": .bool(report.isCached),
            ]
            if report.result.status != .pass, !report.result.message.isEmpty {
                entry["output"] = .string(report.result.message)
            }
            if let value = report.result.observedValue {
                entry["observedValue"] = .double(value)
                if !report.result.observedUnit.isEmpty { entry["observedUnit"] = .string(report.result.observedUnit) }
            }
            checks[report.name] = .array([.object(entry)])
        }
        let body: JSONValue = .object([
            "status": .string(overall.description),
            "serviceId": .string(environment.serviceName),
            "version": .string(environment.serviceVersion),
            "description": .string("health of \(environment.serviceName) on \(environment.hostname)"),
            "checks": .object(checks),
        ])
        return .json(
            body, status: overall == .fail ? .serviceUnavailable : .ok, headers: HealthHeaders.noCache,
            contentType: mediaType)
    }
}
