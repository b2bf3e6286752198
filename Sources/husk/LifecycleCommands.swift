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
    summary: "Send a signal (default SIGTERM; names like TERM, SIGKILL or numbers) to a container.",
    options: [.init(names: ["all", "a"], takesValue: false, help: "signal every process of the container")]
) { args, ctx in
    let p = try Command.positionals(args, "CONTAINER_ID", command: "kill")
    let name = p.count > 1 ? p[1] : "SIGTERM"
    guard let sig = Signals.parse(name) else { throw UsageError("kill: unknown signal \"\(name)\"") }
    try ctx.runtime.kill(p[0], signal: sig, all: args.flag("all"))
    return 0
}

let deleteCommand = Command(
    name: "delete", usage: "[--force] CONTAINER_ID",
    summary: "Delete a stopped container (with --force, kill it first).",
    options: [.init(names: ["force", "f"], takesValue: false, help: "kill a created or running container, then delete it")]
) { args, ctx in
    try ctx.runtime.delete(try Command.positionals(args, "CONTAINER_ID", command: "delete")[0], force: args.flag("force"))
    return 0
}
