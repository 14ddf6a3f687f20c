import ArgumentParser
import HealthCore
import HealthHostApp

/// `healthhost check`: run checks once and exit with the Nagios code of the worst one.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run checks once, print a table and exit 0 (pass), 1 (warn), 2 (fail) or 3 (could not run).",
        discussion: "Doubles as a Kubernetes exec probe and a Nagios plugin.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Comma-separated check names; '_defaults' stands for the default set. Default: the default set.")
    var checks: String?

    func run() async throws {
        let app: HostApplication
        do {
            app = try HostApplication.build(
                configFile: options.config, options: .init(requiresAuth: false), logger: CommandLogging.logger)
        } catch {
            throw reportStartupFailure(error, code: 3)
        }
        let (selected, unknown) = app.registry.resolve(.parse(queryValue: checks))
        guard unknown.isEmpty else {
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            writeToStandardError("healthhost: no check is registered as \(names) (available: \(app.registry.names.joined(separator: ", ")))\n")
            app.shutdown()
            throw ExitCode(3)
        }
        let reports = await app.engine.reports(for: selected)
        print(ResultTable.render(reports), terminator: "")
        app.shutdown()
        let worst = reports.map(\.result.status).max() ?? .pass
        throw ExitCode(Int32(worst.rawValue))
    }
}

/// The table `healthhost check` prints.
enum ResultTable {
    static func render(_ reports: [CheckReport]) -> String {
        let rows = [["CHECK", "STATUS", "TIME", "MESSAGE"]]
            + reports.map { report in
                let result = report.result
                var message = result.message
                if let value = result.observedValue {
                    message += " [\(value)\(result.observedUnit.isEmpty ? "" : " " + result.observedUnit)]"
                }
                return [report.name, result.status.description.uppercased(), report.duration.humanReadable, message]
            }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        func padded(_ text: String, to width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        let lines = rows.map { row -> String in
            let columns: [String] = (0..<3).map { padded(row[$0], to: widths[$0]) }
            return columns.joined(separator: "  ") + "  " + row[3]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
