import HealthCore
import HealthHostApp

/// `healthhost check`: run checks once and exit with the Nagios code of the worst one.
enum CheckCommand {
    static let spec = CommandSpec(
        name: "check",
        abstract: "Run checks once, print a table and exit 0 (pass), 1 (warn), 2 (fail) or 3 (could not run).",
        discussion: "Doubles as a Kubernetes exec probe and a Nagios plugin.",
        options: [
            HealthHostCommand.configOption,
            .init(
                name: "checks",
                help: "Comma-separated check names; '_defaults' stands for the default set. Default: the default set."),
        ])

    static func run(_ values: [String: String]) async -> Int32 {
        let app: HostApplication
        do {
            app = try HostApplication.build(
                configFile: values["config"] ?? "", options: .init(requiresAuth: false), logger: CommandLogging.logger)
        } catch {
            return reportStartupFailure(error, code: 3)
        }
        let (selected, unknown) = app.registry.resolve(.parse(queryValue: values["checks"]))
        guard unknown.isEmpty else {
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            writeToStandardError("healthhost: no check is registered as \(names) (available: \(app.registry.names.joined(separator: ", ")))\n")
            app.shutdown()
            return 3
        }
        let reports = await app.engine.reports(for: selected)
        print(ResultTable.render(reports), terminator: "")
        app.shutdown()
        let worst = reports.map(\.result.status).max() ?? .pass
        return Int32(worst.rawValue)
    }
}

/// The table `healthhost check` prints.
enum ResultTable {
    static func render(_ reports: [CheckReport]) -> String {
        let rows =
            [["CHECK", "STATUS", "TIME", "MESSAGE"]]
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
