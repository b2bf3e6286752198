import Images
import Runtime
import Sys

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
    name: "run", usage: "[options] CONTAINER_ID | [options] IMAGE [COMMAND...]",
    summary: "Create and start a container (from a bundle, or from an image in the store); in the foreground husk exits with the container's exit code.",
    options: createOptions + [
        .init(names: ["rm"], takesValue: false, help: "image run: remove the container's rootfs when it exits"),
        .init(names: ["env", "e"], takesValue: true, help: "image run: set an environment variable K=V (repeatable)"),
        .init(names: ["cwd", "w"], takesValue: true, help: "image run: working directory"),
        .init(names: ["name"], takesValue: true, help: "image run: container ID (default: random)"),
        .init(names: ["detach", "d"], takesValue: false, help: "do not wait for the container to exit"),
        .init(names: ["no-supervisor"], takesValue: false, help: "with -d: no husk supervisor, as runc (also HUSK_NO_SUPERVISOR=1)"),
        .init(names: ["log-max-size"], takesValue: true, help: "with -d: rotate container.log at this size (default 10m)"),
    ],
    stopAtFirstPositional: true
) { args, ctx in
    // Without --bundle, a first argument that names an image in the store runs that image.
    if args.value("bundle") == nil, let first = args.positionals.first, Files.exists(ctx.storage + "/refs.json"),
       let store = try? ContentStore(root: ctx.storage), let ref = try? store.resolve(first) {
        return try runImage(ref, args, ctx)
    }
    let id = try Command.positionals(args, "CONTAINER_ID", command: "run")[0]
    let options = try createOptionsFrom(args)
    if args.flag("detach") && wantsSupervisor(args, options) {
        return try runSupervised(id, options, args, ctx)
    }
    return try ctx.runtime.run(id, options, detach: args.flag("detach"))
}
