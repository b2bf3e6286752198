import Glibc
import Images
import Runtime
import Sys

// `husk run -d` under a supervisor (see Runtime+Supervise.swift), and the hidden verb the
// supervisor runs as: `husk --root R supervise --bundle B [--pid-file F] [--no-pivot]
// [--log-max-size N] ID`, with the status pipe as fd 3.

/// run -d gets a supervisor unless the caller takes the container's stdio itself (a console
/// socket, preserved fds) or asks for runc's behaviour (--no-supervisor, HUSK_NO_SUPERVISOR=1).
func wantsSupervisor(_ args: Arguments, _ options: CreateOptions) -> Bool {
    if args.flag("no-supervisor") { return false }
    if let env = getenv("HUSK_NO_SUPERVISOR"), String(cString: env) == "1" { return false }
    return options.consoleSocket == nil && options.preserveFDs == 0
}

func runSupervised(_ id: String, _ options: CreateOptions, _ args: Arguments, _ ctx: Context) throws -> Int32 {
    var argv = ["--root", Files.absolute(ctx.root)] + passThroughGlobals()
    argv += ["supervise", "--bundle", Files.absolute(options.bundle)]
    if let pidFile = options.pidFile { argv += ["--pid-file", Files.absolute(pidFile)] }
    if options.noPivot { argv.append("--no-pivot") }
    argv += ["--log-max-size", String(try logMaxSize(args))]
    if args.flag("rm") { argv.append("--rm") }
    argv.append(id)
    try ctx.runtime.launchSupervisor(arguments: argv)
    return 0
}

func logMaxSize(_ args: Arguments) throws -> Int {
    guard let text = args.value("log-max-size") else { return ContainerLog.defaultMaxSize }
    guard let n = ResourceFlags.ramInBytes(text), n > 0 else {
        throw UsageError("--log-max-size: \"\(text)\" is not a size (e.g. 10m, 512k, 4096)")
    }
    return Int(n)
}

/// --log, --log-format and --debug of this invocation, for the supervisor and the sandbox watcher.
func passThroughGlobals() -> [String] {
    var out: [String] = []
    let argv = CommandLine.arguments
    var i = 1
    while i < argv.count, argv[i].hasPrefix("-") {
        let arg = argv[i]
        let name = String(arg.drop(while: { $0 == "-" }))
        let key = name.split(separator: "=", maxSplits: 1).first.map(String.init) ?? name
        let inline = name.contains("=") ? String(name.drop(while: { $0 != "=" }).dropFirst()) : nil
        let takesValue = globalOptions.first(where: { $0.names.contains(key) })?.takesValue == true
        var value = inline
        if takesValue && inline == nil && i + 1 < argv.count { value = argv[i + 1]; i += 1 }
        switch key {
        case "log": if let v = value { out += ["--log", Files.absolute(v)] }
        case "log-format": if let v = value { out += ["--log-format", v] }
        case "debug": out.append("--debug")
        default: break
        }
        i += 1
    }
    return out
}

let superviseCommand = Command(
    name: "supervise", usage: "[options] CONTAINER_ID",
    summary: "(internal) the supervisor of a container started with 'husk run -d'.",
    options: createOptions + [.init(names: ["log-max-size"], takesValue: true, help: "rotate container.log at this size"),
                              .init(names: ["rm"], takesValue: false, help: "delete the container (and its image bundle) when it exits")]
) { args, ctx in
    let id = try Command.positionals(args, "CONTAINER_ID", command: "supervise")[0]
    var options = SuperviseOptions(create: try createOptionsFrom(args))
    options.logMaxSize = try logMaxSize(args)
    let code = ctx.runtime.supervise(id, options)
    if args.flag("rm"), let bundle = try? ctx.runtime.delete(id, force: true) {
        Snapshots.removeBundle(at: bundle)
    }
    return code
}
