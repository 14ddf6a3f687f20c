import FoundationEssentials
import ArgumentParser
import HealthHostApp

/// `healthhost validate`: everything `serve` checks before listening, then exit.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check the config, auth and plugins as `serve` would, without serving.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let app: HostApplication
        do {
            app = try HostApplication.build(
                configFile: options.config, options: .init(environment: ProcessInfo.processInfo.environment),
                logger: CommandLogging.logger)
        } catch {
            throw reportStartupFailure(error, code: 1)
        }
        app.shutdown()
        let broken = app.plugins.broken.count
        let idle = app.plugins.idle.count
        print(
            "\(options.config): OK (\(app.plugins.plugins.count) plugin(s), \(app.registry.checks.count) check(s)"
                + (idle > 0 ? ", \(idle) unused plugin(s) not started" : "")
                + (broken > 0 ? ", \(broken) broken plugin(s) skipped" : "") + ")")
    }
}
