import Glibc
import JSON
import Runtime

let eventsCommand = Command(
    name: "events", usage: "[--stats] [--interval 5s] CONTAINER_ID",
    summary: "Print a container's resource usage as JSON: one snapshot (--stats), or a stream with OOM events.",
    options: [
        .init(names: ["stats"], takesValue: false, help: "print one stats snapshot and exit"),
        .init(names: ["interval"], takesValue: true, help: "time between stats events (Go duration, default 5s)"),
    ]
) { args, ctx in
    let id = try Command.positionals(args, "CONTAINER_ID", command: "events")[0]
    if args.flag("stats") {
        _ = writeLine(JSON.serialize(try ctx.runtime.statsEvent(id)))
        return 0
    }
    let text = args.value("interval") ?? "5s"
    guard let interval = ResourceFlags.durationMilliseconds(text) else {
        throw UsageError("events --interval: \"\(text)\" is not a positive duration (e.g. 5s, 500ms)")
    }
    try ctx.runtime.events(id, intervalMs: interval) { writeLine(JSON.serialize($0)) }
    return 0
}

/// One line straight to fd 1 (no stdio buffering: an engine reads events as they happen); false on EPIPE and the like.
func writeLine(_ text: String) -> Bool {
    let bytes = Array((text + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += n
    }
    return true
}
