public import HealthCore
public import HealthHTTP
import HealthJSON
import NIOCore
import NIOHTTP1

/// A remote service's actuator-style health endpoint as a check: UP only when it
/// answers HTTP 200 with JSON `"status": "UP"`. Runs on an engine worker thread (it
/// waits for the response there), so it gets the engine's timeout, caching and
/// single-flight like any local check.
public struct RemoteDependencyCheck: CheckImplementation {
    /// The header every dependency call carries. A request that has it does not poll
    /// dependencies of its own, so A → B → A cannot loop and one probe cannot fan out
    /// through a whole call graph.
    public static let markerHeader = "X-Healthhost-Dependency-Check"

    /// The dependency's name.
    public let name: String
    /// Where its health endpoint is.
    public let target: HTTPTarget
    /// The limit of one call.
    public let timeout: Duration

    /// Creates a dependency check.
    public init(name: String, target: HTTPTarget, timeout: Duration) {
        self.name = name
        self.target = target
        self.timeout = timeout
    }

    public var source: String { "dependency \(name) (\(target))" }
    /// Not cut from ``source``: that holds the dependency's URL, whose first dot is
    /// inside its host name, and a metrics label is never a URL.
    public var pluginName: String { "dependency" }
    public var suggestedTimeout: Duration? { timeout }
    public var isDefaultByDefault: Bool { true }
    public var serializationKey: String? { nil }

    public func run(_ invocation: CheckInvocation) -> CheckResult {
        let response: HTTPClient.Response
        do {
            response = try HTTPClient.get(
                target, headers: [Self.markerHeader: "1"], timeout: .nanoseconds(invocation.timeout.nanoseconds)
            ).wait()
        } catch {
            return .fail("\(target): \(error)")
        }
        return Self.evaluate(response, target: target)
    }

    /// UP only on 200 with `"status": "UP"`.
    static func evaluate(_ response: HTTPClient.Response, target: HTTPTarget) -> CheckResult {
        var status: String?
        if case .object(let members) = try? JSONParser.parse(response.body), case .string(let text) = members["status"] {
            status = text
        }
        guard response.status == 200 else {
            return .fail("\(target) answered HTTP \(response.status)\(status.map { " (status \($0))" } ?? "")")
        }
        guard let status else { return .fail("\(target) answered 200 without a JSON \"status\"") }
        guard status == "UP" else { return .fail("\(target) reports status \(status)") }
        return .pass("\(target) is UP")
    }
}
