import Foundation
import HealthCore
import HealthHostApp
import Testing

/// Reads a host's engine directly, next to the HTTP API: single reports, statistics
/// and the enginekit plugin's counters.
extension TestHost {
    /// The engine's report for the registered check `name`.
    func report(_ name: String) async throws -> CheckReport {
        let check = try #require(app.registry.check(named: name), "no check '\(name)' registered")
        return await app.engine.report(for: check)
    }

    /// The enginekit counters, from its `stats` check (registered as `stats`).
    func counters() async throws -> [String: Int] {
        let message = try await report("stats").result.message
        var counters: [String: Int] = [:]
        for pair in message.split(separator: " ") {
            let parts = pair.split(separator: "=")
            if parts.count == 2, let value = Int(parts[1]) { counters[String(parts[0])] = value }
        }
        return counters
    }

    /// The engine's statistics of `name`.
    func statistics(_ name: String) throws -> CheckStatistics {
        try #require(app.engine.statistics(of: name))
    }
}
