import Runtime

/// Shared by every command: the runtime over --root, and the logger.
struct Context: Sendable {
    let runtime: Runtime
    let log: Logger
    let root: String
    /// The image store (--storage, HUSK_STORAGE, /var/lib/husk).
    var storage = "/var/lib/husk"
}

/// One husk verb: its options, usage text and body (one file per verb).
struct Command: Sendable {
    let name: String
    let usage: String
    let summary: String
    let options: [Arguments.Option]
    /// Stop option parsing at the first positional (commands that pass a command line on).
    var stopAtFirstPositional = false
    /// The exit code of a command line this verb cannot parse (1 as runc; `sandbox` uses 125).
    var usageExitCode: Int32 = 1
    /// Text after the options in `--help` (exit codes, formats).
    var extraHelp = ""
    let body: @Sendable (Arguments, Context) throws -> Int32

    var help: String {
        var text = "Usage: husk \(name) \(usage)\n\n\(summary)\n"
        if !options.isEmpty {
            text += "\nOptions:\n"
            for o in options {
                let names = o.names.map { $0.count == 1 ? "-\($0)" : "--\($0)" }.joined(separator: ", ")
                text += "  " + (names + (o.takesValue ? " VALUE" : "")).padding(30) + o.help + "\n"
            }
        }
        return text + extraHelp
    }

    /// Exactly `count` positionals, or a usage error naming what is missing.
    static func positionals(_ args: Arguments, _ names: String..., command: String) throws(UsageError) -> [String] {
        let p = args.positionals
        if p.count < names.count {
            throw UsageError("'husk \(command)' needs \(names[p.count]) (usage: husk \(command) \(names.joined(separator: " ")))")
        }
        return p
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
