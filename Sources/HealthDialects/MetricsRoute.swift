public import HealthConfig
import HealthHTTP
public import HealthMetrics
import NIOCore
import NIOHTTP1

/// `GET /metrics` (``MetricsExposition``), as `http.metrics` configures it.
public enum MetricsRoute {
    /// The route; `access: required` asks for the secret, `public` serves anyone.
    public static func route(_ config: MetricsEndpointConfiguration, exposition: MetricsExposition) -> HealthRoute {
        HealthRoute(config.path, access: config.access == .required ? .secret : .open) { _ in
            var headers = HealthHeaders.noCache
            headers.add(name: "Content-Type", value: MetricsExposition.contentType)
            return HTTPResponse(status: .ok, headers: headers, body: ByteBuffer(string: exposition.render()))
        }
    }
}
