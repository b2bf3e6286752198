import Runtime

let pauseCommand = Command(
    name: "pause", usage: "CONTAINER_ID",
    summary: "Freeze every process of a running container (its cgroup freezer).", options: []
) { args, ctx in
    try ctx.runtime.pause(try Command.positionals(args, "CONTAINER_ID", command: "pause")[0])
    return 0
}

let resumeCommand = Command(
    name: "resume", usage: "CONTAINER_ID", summary: "Thaw a paused container.", options: []
) { args, ctx in
    try ctx.runtime.resume(try Command.positionals(args, "CONTAINER_ID", command: "resume")[0])
    return 0
}
