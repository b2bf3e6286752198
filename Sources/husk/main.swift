import Glibc
import Images
import Runtime

// husk: a runc-compatible OCI runtime. Global options come first, then the verb:
//   husk [--root DIR] [--log FILE] [--log-format text|json] [--debug] VERB [options] ARGS

let version = "0.1.0"
/// Every verb by name, in the usage text's order. A Command (its options, its help text) is
/// built only when its verb is used: building all of them cost every husk run ~0.2 ms.
let verbs: [(name: String, command: @Sendable () -> Command)] = [
    ("create", { createCommand }), ("start", { startCommand }), ("run", { runCommand }), ("exec", { execCommand }),
    ("state", { stateCommand }), ("kill", { killCommand }), ("delete", { deleteCommand }), ("pause", { pauseCommand }),
    ("resume", { resumeCommand }), ("update", { updateCommand }), ("events", { eventsCommand }), ("list", { listCommand }),
    ("spec", { specCommand }), ("features", { featuresCommand }), ("wait", { waitCommand }), ("logs", { logsCommand }),
    ("ps", { psCommand }), ("sandbox", { sandboxCommand }), ("image", { imageCommand }), ("images", { imagesCommand }),
    ("rmi", { rmiCommand }), ("pull", { pullCommand }),
]
/// Verbs husk runs for itself, left out of the usage text.
let hiddenVerbs: [(name: String, command: @Sendable () -> Command)] = [
    ("supervise", { superviseCommand }), ("sandbox-cleanup", { sandboxCleanupCommand }),
]

/// The command of `verb`, nil if there is none.
func command(named verb: String) -> Command? {
    guard let entry = (verbs + hiddenVerbs).first(where: { $0.name == verb }) else { return nil }
    let command = entry.command()
    assert(command.name == verb, "verb table: \(verb) names \(command.name)")
    return command
}

let globalOptions: [Arguments.Option] = [
    .init(names: ["root"], takesValue: true, help: "state directory (default /run/husk; not root: $XDG_RUNTIME_DIR/husk)"),
    .init(names: ["log"], takesValue: true, help: "log file (default: stderr)"),
    .init(names: ["storage"], takesValue: true, help: "image store (default $HUSK_STORAGE or /var/lib/husk)"),
    .init(names: ["log-format"], takesValue: true, help: "text (default) or json"),
    .init(names: ["debug"], takesValue: false, help: "log debug messages"),
    .init(names: ["systemd-cgroup"], takesValue: false, help: "use the systemd cgroup driver (not available yet)"),
    .init(names: ["rootless"], takesValue: true, help: "accepted for runc compatibility (auto)"),
    .init(names: ["criu"], takesValue: true, help: "accepted for runc compatibility"),
    .init(names: ["version", "v"], takesValue: false, help: "print the version"),
    .init(names: ["help", "h"], takesValue: false, help: "print this help"),
]

func usage() -> String {
    var text = "husk \(version): a runc-compatible OCI container runtime\n\nUsage: husk [global options] COMMAND [options] ARGS\n\nCommands:\n"
    for v in verbs { let c = v.command(); text += "  " + c.name.padding(10) + c.summary + "\n" }
    text += "\nGlobal options:\n"
    for o in globalOptions {
        let names = o.names.map { $0.count == 1 ? "-\($0)" : "--\($0)" }.joined(separator: ", ")
        text += "  " + (names + (o.takesValue ? " VALUE" : "")).padding(28) + o.help + "\n"
    }
    return text + "\nRun 'husk COMMAND --help' for a command's options.\n"
}

func main() -> Int32 {
    let argv = CommandLine.arguments
    // Global options end at the first non-option word: the verb.
    var i = 1
    var globalArgs: [String] = []
    while i < argv.count, argv[i].hasPrefix("-") {
        globalArgs.append(argv[i])
        let name = String(argv[i].drop(while: { $0 == "-" }))
        if !name.contains("="), globalOptions.first(where: { $0.names.contains(name) })?.takesValue == true, i + 1 < argv.count {
            globalArgs.append(argv[i + 1])
            i += 1
        }
        i += 1
    }
    let globals: Arguments
    do {
        globals = try Arguments(globalArgs[...], options: globalOptions, command: "")
    } catch {
        FileHandleStderr.write("husk: \(error)\n")
        return 1
    }
    if globals.flag("version") {
        print("husk version \(version)\nspec: 1.2.0")
        return 0
    }
    guard i < argv.count else {
        print(usage(), terminator: "")
        return globals.flag("help") ? 0 : 1
    }
    let verb = argv[i]
    if verb == "help" || globals.flag("help") {
        if i + 1 < argv.count, verbs.contains(where: { $0.name == argv[i + 1] }), let c = command(named: argv[i + 1]) { print(c.help, terminator: "") }
        else { print(usage(), terminator: "") }
        return 0
    }
    let format = Logger.Format(rawValue: globals.value("log-format") ?? "text") ?? .text
    let log = Logger(path: globals.value("log"), format: format, debug: globals.flag("debug"))
    guard let command = command(named: verb) else {
        log.error("unknown command \"\(verb)\" (see 'husk --help')")
        return 1
    }
    let rest = argv[(i + 1)...]
    if optionWords(rest, command).contains(where: { $0 == "--help" || $0 == "-h" }) {
        print(command.help, terminator: "")
        return 0
    }
    do {
        if globals.flag("systemd-cgroup") {
            throw HuskError("--systemd-cgroup: the systemd cgroup driver is not available in this husk")
        }
        let args = try Arguments(rest, options: command.options, command: verb, stopAtFirstPositional: command.stopAtFirstPositional)
        let root = globals.value("root") ?? Rootless.defaultStateRoot()
        var ctx = Context(runtime: Runtime(root: root, log: log), log: log, root: root)
        ctx.storage = ContentStore.defaultRoot(globals.value("storage"))
        return try command.body(args, ctx)
    } catch let e as HuskError {
        report(e.message, log)
        return e.exitCode
    } catch let e as UsageError {
        report(command.name == "sandbox" ? "sandbox: \(e)" : "\(e)", log)
        return command.usageExitCode
    } catch {
        report("\(error)", log)
        return 1
    }
}

/// The words of `args` that are options of `command`: all of them, except after `--` and, for
/// verbs that pass a command line on (exec, sandbox), after its first word.
func optionWords(_ args: ArraySlice<String>, _ command: Command) -> [String] {
    var out: [String] = []
    var i = args.startIndex
    while i < args.endIndex {
        let a = args[i]
        if a == "--" { break }
        if !a.hasPrefix("-") || a == "-" {
            if command.stopAtFirstPositional { break }
            i += 1
            continue
        }
        out.append(a)
        let name = String(a.drop(while: { $0 == "-" }))
        if !name.contains("="), command.options.first(where: { $0.names.contains(name) })?.takesValue == true { i += 1 }
        i += 1
    }
    return out
}

/// Errors go to stderr always, and also to --log (as runc does) for engines reading it.
func report(_ message: String, _ log: Logger) {
    if log.toFile { log.error(message) }
    FileHandleStderr.write("husk: \(message)\n")
}

enum FileHandleStderr {
    static func write(_ s: String) {
        _ = Array(s.utf8).withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

// A hook or a reader that closes its pipe early must give EPIPE, not kill husk.
signal(SIGPIPE, SIG_IGN)
exit(main())
