/// A small runc-compatible argument parser (swift-argument-parser costs ~3 ms of start-up,
/// more than husk's whole create path should). Accepts `--flag value`, `--flag=value`,
/// `-flag value` (Go style), short aliases, and `--` to end options.
struct Arguments: Sendable {
    struct Option: Sendable {
        let names: [String]      // without dashes: ["bundle", "b"]
        let takesValue: Bool
        let help: String
    }

    private(set) var values: [String: [String]] = [:]
    private(set) var positionals: [String] = []

    init(_ args: ArraySlice<String>, options: [Option], command: String, stopAtFirstPositional: Bool = false) throws(UsageError) {
        var i = args.startIndex
        var optionsEnded = false
        while i < args.endIndex {
            let arg = args[i]
            i += 1
            if optionsEnded || !arg.hasPrefix("-") || arg == "-" {
                positionals.append(arg)
                if stopAtFirstPositional { optionsEnded = true }
                continue
            }
            if arg == "--" { optionsEnded = true; continue }
            var name = String(arg.drop(while: { $0 == "-" }))
            var inlineValue: String? = nil
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let option = options.first(where: { $0.names.contains(name) }) else {
                throw UsageError("unknown option \(arg) for 'husk \(command)' (see 'husk \(command) --help')")
            }
            let key = option.names[0]
            if option.takesValue {
                if let inlineValue {
                    values[key, default: []].append(inlineValue)
                } else {
                    guard i < args.endIndex else { throw UsageError("option \(arg) of 'husk \(command)' needs a value") }
                    values[key, default: []].append(args[i])
                    i += 1
                }
            } else {
                if let inlineValue, inlineValue == "false" { values[key] = nil; continue }
                values[key, default: []].append("true")
            }
        }
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func flag(_ name: String) -> Bool { values[name] != nil }
}

/// Wrong use of the command line: exit code 1 (runc uses 1 as well), with a hint.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
