/// The command line: subcommands with `--name value` options, `--help` and `--version`,
/// usage errors on standard error with exit status 64 (`EX_USAGE`), in the words and
/// layout swift-argument-parser used here before.
///
/// Own code rather than swift-argument-parser because that library imports
/// FoundationEssentials, and the serving process is the same binary: with it, every
/// idle host kept 3.7 MB of FoundationEssentials resident for five commands and seven
/// options (bench/README.md, footprint issue).
struct CommandSpec: Sendable {
    /// One `--name <value>` option.
    struct Option: Sendable {
        let name: String
        let help: String
        var isRequired = false
        var placeholder: String { "--\(name) <\(name)>" }
    }

    let name: String
    let abstract: String
    var discussion = ""
    var options: [Option] = []
    /// Left out of the root help (the internal `worker`).
    var isHidden = false
}

/// What the command line asks for.
enum CommandLineRequest: Equatable {
    /// Run `command` with these option values.
    case run(command: String, values: [String: String])
    /// Print this text to standard output and exit 0.
    case print(String)
    /// Print this text to standard error and exit 64.
    case usageError(String)
}

/// Parses `arguments` (without the program name) against the root and its subcommands.
struct CommandLineParser {
    /// A page of the documentation, as the root help lists it.
    struct Page: Sendable {
        let topic: String
        let path: String
    }

    let program: String
    let abstract: String
    let version: String
    let commands: [CommandSpec]
    /// The heading line of the root help's DOCUMENTATION section (where the pages are).
    var documentationHeading = ""
    /// The pages the root help lists, a row each.
    var documentation: [Page] = []
    /// Per command name, the pages that say more, printed last in its help.
    var seeAlso: [String: String] = [:]

    func parse(_ arguments: [String]) -> CommandLineRequest {
        guard let first = arguments.first else { return .print(rootHelp()) }
        switch first {
        case "-h", "--help": return .print(rootHelp())
        case "--version": return .print(version + "\n")
        case "help":
            guard arguments.count > 1 else { return .print(rootHelp()) }
            guard let command = commands.first(where: { $0.name == arguments[1] }) else {
                return .usageError(rootError("Unexpected argument '\(arguments[1])'"))
            }
            return .print(help(for: command))
        default: break
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            return .usageError(rootError(first.hasPrefix("-") ? "Unknown option '\(first)'" : "Unexpected argument '\(first)'"))
        }
        var values: [String: String] = [:]
        var rest = arguments.dropFirst()[...]
        while let argument = rest.popFirst() {
            if argument == "-h" || argument == "--help" { return .print(help(for: command)) }
            if argument == "--version" { return .print(version + "\n") }
            guard argument.hasPrefix("--") else { return .usageError(error("Unexpected argument '\(argument)'", command)) }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = command.options.first(where: { $0.name == name }) else {
                return .usageError(error("Unknown option '--\(name)'", command))
            }
            if value == nil, let next = rest.first, !next.hasPrefix("--") {
                value = next
                rest = rest.dropFirst()
            }
            guard let value else {
                return .usageError(error("Missing value for '\(option.placeholder)'", command, option: option))
            }
            values[name] = value
        }
        if let missing = command.options.first(where: { $0.isRequired && values[$0.name] == nil }) {
            return .usageError(error("Missing expected argument '\(missing.placeholder)'", command, option: missing))
        }
        return .run(command: command.name, values: values)
    }

    /// The error for an option value that does not parse (`--port abc`).
    func invalidValue(_ value: String, for name: String, of commandName: String) -> String {
        guard let command = commands.first(where: { $0.name == commandName }),
            let option = command.options.first(where: { $0.name == name })
        else { return "Error: The value '\(value)' is invalid for '--\(name)'\n" }
        return error("The value '\(value)' is invalid for '\(option.placeholder)'", command, option: option)
    }

    // MARK: - Text

    private func usage(_ command: CommandSpec) -> String {
        let options = command.options.map { $0.isRequired ? $0.placeholder : "[\($0.placeholder)]" }
        return (["\(program) \(command.name)"] + options).joined(separator: " ")
    }

    private func error(_ message: String, _ command: CommandSpec, option: CommandSpec.Option? = nil) -> String {
        var text = "Error: \(message)\n"
        if let option { text += "Help:  \(option.placeholder)  \(option.help)\n" }
        text += "Usage: \(usage(command))\n  See '\(program) \(command.name) --help' for more information.\n"
        return text
    }

    private func rootError(_ message: String) -> String {
        "Error: \(message)\nUsage: \(program) <subcommand>\n  See '\(program) --help' for more information.\n"
    }

    func rootHelp() -> String {
        var text = "OVERVIEW: \(Self.wrap(abstract, indent: 0, firstLineUsed: 10))\n\nUSAGE: \(program) <subcommand>\n\n"
        text += "OPTIONS:\n" + Self.row("--version", "Show the version.") + Self.row("-h, --help", "Show help information.")
        text += "\nSUBCOMMANDS:\n"
        for command in commands where !command.isHidden { text += Self.row(command.name, command.abstract) }
        text += "\n  See '\(program) help <subcommand>' for detailed help.\n"
        if !documentation.isEmpty {
            // Topics start with a capital: PackageTests reads lowercase rows after SUBCOMMANDS as commands.
            text += "\n\(documentationHeading)\n"
            for page in documentation { text += Self.row(page.topic, page.path) }
        }
        return text
    }

    func help(for command: CommandSpec) -> String {
        var text = "OVERVIEW: \(Self.wrap(command.abstract, indent: 0, firstLineUsed: 10))\n\n"
        if !command.discussion.isEmpty { text += Self.wrap(command.discussion, indent: 0, firstLineUsed: 0) + "\n\n" }
        text += "USAGE: \(usage(command))\n\nOPTIONS:\n"
        for option in command.options { text += Self.row(option.placeholder, option.help) }
        text += Self.row("--version", "Show the version.") + Self.row("-h, --help", "Show help information.") + "\n"
        if let pages = seeAlso[command.name] { text += "SEE ALSO: " + Self.wrap(pages, indent: 2, firstLineUsed: 10) + "\n\n" }
        return text
    }

    /// `  label` padded to column 26, then `help` wrapped at 80 columns.
    private static func row(_ label: String, _ help: String) -> String {
        let lead = "  " + label
        if lead.count >= 24 { return lead + "\n" + String(repeating: " ", count: 26) + wrap(help, indent: 26, firstLineUsed: 26) + "\n" }
        return lead + String(repeating: " ", count: 26 - lead.count) + wrap(help, indent: 26, firstLineUsed: 26) + "\n"
    }

    /// `text` broken into lines of at most 80 columns, continuation lines indented.
    private static func wrap(_ text: String, indent: Int, firstLineUsed: Int) -> String {
        var lines: [String] = []
        var line = ""
        var used = firstLineUsed
        for word in text.split(separator: " ") {
            if !line.isEmpty && used + line.count + 1 + word.count > 80 {
                lines.append(line)
                line = ""
                used = indent
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        lines.append(line)
        return lines.joined(separator: "\n" + String(repeating: " ", count: indent))
    }
}
