import HealthCore
import HealthHostApp
import HealthPOSIX
import HealthPluginLoader

/// `healthhost validate`: everything `serve` checks before listening, then exit.
enum ValidateCommand {
    static let spec = CommandSpec(
        name: "validate", abstract: "Check the config, auth and plugins as `serve` would, without serving.",
        options: [HealthHostCommand.configOption])

    static func run(_ values: [String: String]) async -> Int32 {
        let configFile = values["config"] ?? ""
        let app: HostApplication
        do {
            app = try HostApplication.build(
                configFile: configFile, options: .init(environment: CurrentProcess.environment),
                logger: CommandLogging.logger)
        } catch {
            return reportStartupFailure(error, code: 1)
        }
        app.shutdown()
        let broken = app.plugins.broken.count
        let idle = app.plugins.idle.count
        print(
            "\(configFile): OK (\(app.plugins.plugins.count) plugin(s), \(app.registry.checks.count) check(s)"
                + (idle > 0 ? ", \(idle) unused plugin(s) not started" : "")
                + (broken > 0 ? ", \(broken) broken plugin(s) skipped" : "") + ")")
        return 0
    }
}
