/// The groups the probe endpoints read (`/livez`, `/readyz`, `/startupz`, Actuator's
/// liveness and readiness, the heartbeat dialect), and the near misses of them that a
/// config is not allowed to contain: a check meant for readiness but tagged
/// `readyness` would leave the readiness probe passing while it fails.
enum ProbeGroup {
    /// The group names with a meaning to the probe endpoints.
    static let names = ["liveness", "readiness", "startup"]

    /// The probe group `group` looks like a misspelling of, or `nil` when it is one
    /// exactly or is far enough from all of them to be a custom group. Group names are
    /// checked to be lowercase before this.
    static func misspelled(_ group: String) -> String? {
        guard !names.contains(group) else { return nil }
        let endpointNames = ["livez": "liveness", "readyz": "readiness", "startupz": "startup"]
        if let meant = endpointNames[group] { return meant }
        return names.first { editDistance(group, $0, limit: 2) <= 2 }
    }

    /// Levenshtein distance between `a` and `b`, counted up to `limit + 1`.
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if abs(a.count - b.count) > limit { return limit + 1 }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return min(previous[b.count], limit + 1)
    }
}
