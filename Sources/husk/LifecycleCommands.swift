import Glibc
import Images
import JSON
import Runtime

let startCommand = Command(
    name: "start", usage: "CONTAINER_ID", summary: "Start a created container.", options: []
) { args, ctx in
    try ctx.runtime.start(try Command.positionals(args, "CONTAINER_ID", command: "start")[0])
    return 0
}

let stateCommand = Command(
    name: "state", usage: "CONTAINER_ID", summary: "Print the OCI state of a container as JSON.", options: []
) { args, ctx in
    let state = try ctx.runtime.state(try Command.positionals(args, "CONTAINER_ID", command: "state")[0])
    print(JSON.serialize(state, pretty: true))
    return 0
}

let killCommand = Command(
    name: "kill", usage: "[--all] CONTAINER_ID [SIGNAL]",
    summary: "Send a signal (default: the image's StopSignal for an image run, else SIGTERM; names like TERM, SIGKILL or numbers) to a container.",
    options: [.init(names: ["all", "a"], takesValue: false, help: "signal every process of the container")]
) { args, ctx in
    let p = try Command.positionals(args, "CONTAINER_ID", command: "kill")
    let sig: Int32
    if p.count > 1 {
        guard let s = Signals.parse(p[1]) else { throw UsageError("kill: unknown signal \"\(p[1])\"") }
        sig = s
    } else {
        sig = ctx.runtime.stopSignal(of: p[0]) ?? SIGTERM
    }
    try ctx.runtime.kill(p[0], signal: sig, all: args.flag("all"))
    return 0
}

let deleteCommand = Command(
    name: "delete", usage: "[--force] CONTAINER_ID",
    summary: "Delete a stopped container (with --force, kill it first); an image run's rootfs, overlay mount and upper dir go with it.",
    options: [.init(names: ["force", "f"], takesValue: false, help: "kill a created or running container, then delete it")]
) { args, ctx in
    let bundle = try ctx.runtime.delete(try Command.positionals(args, "CONTAINER_ID", command: "delete")[0], force: args.flag("force"))
    if let bundle { Snapshots.removeBundle(at: bundle) }
    return 0
}
