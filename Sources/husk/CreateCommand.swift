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
        .init(names: ["detach", "d"], takesValue: false, help: "do not wait for the container to exit"),
        .init(names: ["no-supervisor"], takesValue: false, help: "with -d: no husk supervisor, as runc (also HUSK_NO_SUPERVISOR=1)"),
        .init(names: ["log-max-size"], takesValue: true, help: "with -d: rotate container.log at this size (default 10m)"),
    ] + imageRunOptions,
    stopAtFirstPositional: true,
    extraHelp: """

    Bundle or image: one rule, on the first word.
      A word with ':', '/' or '@' is an IMAGE reference (busybox:latest, library/alpine,
      sha256:<digest>, name@sha256:<digest>): husk builds a bundle in the store from the image and
      runs COMMAND (default: the image's Entrypoint + Cmd). Container IDs can never contain these
      characters, so runc callers ('husk run [-b DIR] ID', bundle = current directory) are never
      taken for an image run, even when an image of the same name exists: write 'NAME:latest'.
    Image options (-e -w -u -v -t -i --name --rm --network --memory) are refused in bundle mode.
    An image run's container lives as long as its state: foreground runs delete it at exit (as
    runc run does), -d keeps it until 'husk delete' (or, with --rm, until it exits); its rootfs
    (overlay mount, upper dir) goes with it.

    """
) { args, ctx in
    if let first = args.positionals.first, isImageReference(first) {
        return try runImage(first, args, ctx)
    }
    if let option = imageRunOptions.first(where: { args.flag($0.names[0]) }) {
        let word = args.positionals.first ?? ""
        throw UsageError("--\(option.names[0]) applies to image runs only; \"\(word)\" is a container ID (an image reference has ':', '/' or '@', e.g. \(word.isEmpty ? "busybox:latest" : word + ":latest"))")
    }
    let id = try Command.positionals(args, "CONTAINER_ID", command: "run")[0]
    let options = try createOptionsFrom(args)
    try hintImageForMissingBundle(id, options.bundle, ctx)
    if args.flag("detach") && wantsSupervisor(args, options) {
        return try runSupervised(id, options, args, ctx)
    }
    return try ctx.runtime.run(id, options, detach: args.flag("detach"))
}
