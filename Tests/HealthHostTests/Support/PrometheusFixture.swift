import Foundation

/// A real Prometheus (Debian's `prometheus`) on 127.0.0.1, scraping one target every
/// second with the bearer secret, read back through its HTTP query API.
final class PrometheusFixture: Sendable {
    let port: Int
    private let directory: String
    private let server: ServerProcess

    /// Starts Prometheus scraping `127.0.0.1:targetPort` at `path` with `secret`.
    init(targetPort: Int, path: String = "/metrics", secret: String) async throws {
        directory = NSTemporaryDirectory() + "healthhost-prometheus-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try secret.write(toFile: "\(directory)/secret", atomically: true, encoding: .utf8)
        let config = """
            global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }
            scrape_configs:
              - job_name: healthhost
                metrics_path: \(path)
                authorization: { credentials_file: \(directory)/secret }
                static_configs: [{ targets: ["127.0.0.1:\(targetPort)"] }]
            """
        try config.write(toFile: "\(directory)/prometheus.yml", atomically: true, encoding: .utf8)
        port = try freePort()
        server = try await ServerProcess(
            "/usr/bin/prometheus",
            [
                "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
                "--web.listen-address=127.0.0.1:\(port)", "--log.level=error",
            ], readyWhenPort: port)
        // The port takes connections before the TSDB is open (503 until then).
        try await waitUntilAnswering(port: port, "/-/ready")
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// The value of every series `query` selects now, by their label sets rendered as
    /// `name=value,...` (sorted, without `__name__`, `job` and `instance`).
    func query(_ query: String) async throws -> [String: Double] {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        let response = try await RawHTTPClient.request(port: port, "GET", "/api/v1/query?query=\(encoded)")
        guard response.status == 200, let data = response.json["data"] as? [String: Any],
            let results = data["result"] as? [[String: Any]]
        else { throw RawHTTPClient.ClientError("Prometheus answered \(response.status): \(response.body)") }
        var values: [String: Double] = [:]
        for result in results {
            let metric = (result["metric"] as? [String: String] ?? [:]).filter { !["__name__", "job", "instance"].contains($0.key) }
            let key = metric.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            if let pair = result["value"] as? [Any], let text = pair.last as? String, let value = Double(text) {
                values[key] = value
            }
        }
        return values
    }

    /// Polls `query` (every 250 ms, up to `limit`) until `accept` holds for its values;
    /// returns the last values either way.
    func waitFor(_ query: String, limit: Duration = .seconds(20), until accept: ([String: Double]) -> Bool) async throws
        -> [String: Double]
    {
        var values: [String: Double] = [:]
        _ = try await poll(
            until: {
                values = try await self.query(query)
                return accept(values)
            }, timeout: limit, every: .milliseconds(250))
        return values
    }
}
