import HealthCore
import HealthDialects
import Logging

/// The dialect fixture's registry (the table in ``DialectFixture``: ok, warn, down, with
/// the dialectkit plugin's messages and values) as in-process checks behind the real
/// pipeline: the dialect suites test their status codes, bodies, headers, auth and
/// selection here, and keep one test each through a real socket and the real plugin.
extension RouterHarness {
    /// What each fixture check answers, as dialectkit.c does.
    static let fixtureResults: [String: CheckResult] = [
        "ok": CheckResult(status: .pass, message: "all good", observedValue: 12, observedUnit: "ms"),
        "warn": CheckResult(status: .warn, message: "disk 91% full", observedValue: 91.5, observedUnit: "percent"),
        "down": CheckResult(status: .fail, message: "connection refused: db:5432"),
    ]

    /// The fixture's three checks (`down` in readiness too when `failingReadiness`), each
    /// reused for `refresh`, behind the routes `makeRoutes` builds, with the host's
    /// `lifecycle` and `environment`.
    static func dialectFixture(
        failingReadiness: Bool = false, refresh: RefreshPolicy = .alwaysFresh, lifecycle: HostLifecycle = HostLifecycle(),
        environment: EnvironmentReport = EnvironmentReport(), logger: Logger = TestHost.logger, makeRoutes: (DialectContext) -> [HealthRoute]
    ) throws -> RouterHarness {
        let fakes = FakeChecks()
        for (name, result) in fixtureResults { fakes.set(name, result) }
        let checks = [
            fakes.check("ok", groups: ["liveness", "readiness", "startup"], refresh: refresh),
            fakes.check("warn", groups: ["readiness", "storage"], refresh: refresh),
            fakes.check(
                "down", groups: failingReadiness ? ["storage", "readiness"] : ["storage"], isDefault: false, refresh: refresh),
        ]
        return try RouterHarness(
            checks: checks, secret: DialectFixture.secret, lifecycle: lifecycle, environment: environment, logger: logger,
            makeRoutes: makeRoutes)
    }
}
