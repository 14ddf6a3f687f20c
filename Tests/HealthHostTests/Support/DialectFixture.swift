import Foundation

/// The one fixture registry every dialect test reads (Tests/Fixtures/plugins/dialectkit.c):
///
/// | name | result | default | groups |
/// |------|--------|---------|--------|
/// | ok   | pass "all good", 12 ms | yes | liveness, readiness, startup |
/// | warn | warn "disk 91% full", 91.5 percent | yes | readiness, storage |
/// | down | fail "connection refused: db:5432" | no | storage (+ readiness when `failingReadiness`) |
enum DialectFixture {
    static let secret = "s3cret"

    static func yaml(failingReadiness: Bool = false, http: String = "", extra: String = "") async throws -> String {
        let downGroups = failingReadiness ? "[storage, readiness]" : "[storage]"
        var yaml = hostYAML(
            plugins: [try await PluginCompiler.dialectkit()], auth: "{ secret: \(secret) }",
            pluginConfig: "{ dialectkit: { db: { host: db.internal, password: hunter2 } } }",
            checks: """
                  - { name: ok, plugin: dialectkit, check: ok, groups: [liveness, readiness, startup] }
                  - { name: warn, plugin: dialectkit, check: warn, groups: [readiness, storage] }
                  - { name: down, plugin: dialectkit, check: down, groups: \(downGroups) }
                """)
        if !http.isEmpty { yaml += "http:\n\(http)\n" }
        return yaml + extra
    }
}

/// The machine's host name as the kernel has it (what the dialects must report).
func hostname() throws -> String {
    try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
}
