import Glibc
import Runtime
import Sys

let logsCommand = Command(
    name: "logs", usage: "[-f] [--tail N] [--since TIME|DURATION] [--timestamps] CONTAINER_ID",
    summary: "Print the output of a container started with 'husk run -d' (stdout to stdout, stderr to stderr).",
    options: [
        .init(names: ["follow", "f"], takesValue: false, help: "keep printing new output until the container stops"),
        .init(names: ["tail", "n"], takesValue: true, help: "only the last N lines already logged"),
        .init(names: ["since"], takesValue: true, help: "only output since an RFC 3339 time or a duration ago (10m, 1h)"),
        .init(names: ["timestamps", "t"], takesValue: false, help: "prefix each line with its RFC 3339 time"),
    ]
) { args, ctx in
    let id = try Command.positionals(args, "CONTAINER_ID", command: "logs")[0]
    var o = LogsOptions()
    o.follow = args.flag("follow")
    if let t = args.value("tail"), t != "all" {
        guard let n = Int(t), n >= 0 else { throw UsageError("logs --tail: \"\(t)\" is not a number") }
        o.tail = n
    }
    if let s = args.value("since") {
        if let t = ContainerLog.parseTime(s) {
            o.since = t
        } else if let ms = ResourceFlags.durationMilliseconds(s) {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let total = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) - Int64(ms) * 1_000_000
            o.since = (total / 1_000_000_000, total % 1_000_000_000)
        } else {
            throw UsageError("logs --since: \"\(s)\" is neither an RFC 3339 time nor a duration (e.g. 10m)")
        }
    }
    let timestamps = args.flag("timestamps")
    try ctx.runtime.logs(id, o) { entry in
        let fd: Int32 = entry.stream == "stdout" ? 1 : 2
        return writeAll(fd, Array(((timestamps ? entry.time + " " : "") + entry.log).utf8))
    }
    return 0
}

/// All of `bytes` to `fd`; false when the reader is gone.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += n
    }
    return true
}
