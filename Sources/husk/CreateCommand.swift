import Runtime

/// Options shared by `create` and `run`, as runc spells them.
let createOptions: [Arguments.Option] = [
    .init(names: ["bundle", "b"], takesValue: true, help: "path to the bundle directory (default: current directory)"),
    .init(names: ["pid-file"], takesValue: true, help: "write the container's init pid to this file"),
    .init(names: ["console-socket"], takesValue: true, help: "unix socket that receives the pty master (process.terminal)"),
    .init(names: ["preserve-fds"], takesValue: true, help: "pass N extra fds (3 … 3+N-1) to the container"),
    .init(names: ["no-pivot"], takesValue: false, help: "use chroot instead of pivot_root (rootfs on a ramdisk)"),
    .init(names: ["no-new-keyring"], takesValue: false, help: "accepted for runc compatibility"),
]

func createOptionsFrom(_ args: Arguments) throws -> CreateOptions {
    var o = CreateOptions(bundle: args.value("bundle") ?? ".")
    o.pidFile = args.value("pid-file")
    o.consoleSocket = args.value("console-socket")
    o.noPivot = args.flag("no-pivot")
    if let n = args.value("preserve-fds") {
        guard let v = Int32(n), v >= 0 else { throw UsageError("--preserve-fds: \"\(n)\" is not a non-negative number") }
        o.preserveFDs = v
    }
    return o
}

let createCommand = Command(
    name: "create", usage: "[options] CONTAINER_ID",
    summary: "Create a container from a bundle; its process waits for 'husk start'.",
    options: createOptions
) { args, ctx in
    let id = try Command.positionals(args, "CONTAINER_ID", command: "create")[0]
    let launched = try ctx.runtime.create(id, try createOptionsFrom(args))
    _ = launched
    return 0
}

let runCommand = Command(
    name: "run", usage: "[options] CONTAINER_ID",
    summary: "Create and start a container; in the foreground husk exits with the container's exit code.",
    options: createOptions + [
        .init(names: ["detach", "d"], takesValue: false, help: "do not wait for the container to exit"),
        .init(names: ["no-supervisor"], takesValue: false, help: "with -d: no husk supervisor, as runc (also HUSK_NO_SUPERVISOR=1)"),
        .init(names: ["log-max-size"], takesValue: true, help: "with -d: rotate container.log at this size (default 10m)"),
    ]
) { args, ctx in
    let id = try Command.positionals(args, "CONTAINER_ID", command: "run")[0]
    let options = try createOptionsFrom(args)
    if args.flag("detach") && wantsSupervisor(args, options) {
        return try runSupervised(id, options, args, ctx)
    }
    return try ctx.runtime.run(id, options, detach: args.flag("detach"))
}
