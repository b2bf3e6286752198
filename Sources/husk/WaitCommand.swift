import Runtime

let waitCommand = Command(
    name: "wait", usage: "CONTAINER_ID",
    summary: "Wait until a container stops and print its exit code ('unknown' when no supervisor recorded it).",
    options: []
) { args, ctx in
    let id = try Command.positionals(args, "CONTAINER_ID", command: "wait")[0]
    // With a supervisor (run -d) the code comes from exit.json; otherwise husk can only watch
    // init's pid (a pidfd) and cannot learn its status, which belongs to init's parent.
    let exit = try ctx.runtime.wait(id)
    _ = writeLine(exit.map { String($0.exitCode) } ?? "unknown")
    return 0
}
