import Glibc
import JSON
import Runtime

let psCommand = Command(
    name: "ps", usage: "[--format table|json] [CONTAINER_ID [PS_OPTIONS...]]",
    summary: "Without an ID: a table of containers with their exit. With one: its processes (host 'ps', default -ef).",
    options: [.init(names: ["format", "f"], takesValue: true, help: "table (default) or json")],
    stopAtFirstPositional: true
) { args, ctx in
    let format = args.value("format") ?? "table"
    guard format == "table" || format == "json" else { throw UsageError("ps: unknown --format \"\(format)\" (table or json)") }
    var p = args.positionals
    if p.isEmpty { return listContainers(ctx, json: format == "json") }
    let id = p.removeFirst()
    if p.first == "--" { p.removeFirst() }
    let pids = try ctx.runtime.containerPids(id)
    if format == "json" {
        _ = writeLine(JSON.serialize(.array(pids.map { .int($0) })))
        return 0
    }
    return try hostPs(p.isEmpty ? ["-ef"] : p, keeping: Set(pids))
}

private func listContainers(_ ctx: Context, json: Bool) -> Int32 {
    let items = ctx.runtime.list()
    if json {
        let array: [JSONValue] = items.map { item in
            let r = item.record
            var o = JSONObject()
            o["id"] = .string(r.id)
            o["status"] = .string(item.status.rawValue)
            o["pid"] = .int(item.status == .stopped ? 0 : r.pid)
            o["created"] = .string(r.created)
            o["exit"] = r.exit?.json ?? .null
            o["bundle"] = .string(r.bundle)
            o["command"] = .array(ctx.runtime.commandLine(of: r.id).map { .string($0) })
            if let s = r.supervisorPid { o["supervisorPid"] = .int(s) }
            return .object(o)
        }
        _ = writeLine(JSON.serialize(.array(array)))
        return 0
    }
    let rows = [["ID", "STATUS", "PID", "CREATED", "EXIT", "BUNDLE", "COMMAND"]] + items.map { item in
        [item.record.id, item.status.rawValue, String(item.status == .stopped ? 0 : item.record.pid), item.record.created,
         item.record.exit?.summary ?? "", item.record.bundle, ctx.runtime.commandLine(of: item.record.id).joined(separator: " ")]
    }
    let widths = (0..<7).map { c in rows.map { $0[c].count }.max()! + 2 }
    for row in rows {
        var line = ""
        for c in 0..<7 { line += c == 6 ? row[c] : row[c].padding(widths[c]) }
        _ = writeLine(line)
    }
    return 0
}

/// Runs the host's `ps` with `options` and keeps its header and the rows whose PID column is one of `pids`.
private func hostPs(_ options: [String], keeping pids: Set<Int32>) throws -> Int32 {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 else { throw HuskError("ps: pipe: \(String(cString: strerror(errno)))") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    let argv = (["ps"] + options).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, "ps", &actions, nil, argv, environ)
    close(fds[1])
    guard rc == 0 else {
        close(fds[0])
        throw HuskError("ps: cannot run the host's ps: \(String(cString: strerror(rc)))")
    }
    var output: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fds[0], &buf, buf.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        output += buf[0..<n]
    }
    close(fds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let lines = String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    guard let header = lines.first, !header.isEmpty else {
        throw HuskError("ps: the host's ps printed nothing (ps \(options.joined(separator: " ")))")
    }
    guard let column = header.split(separator: " ").firstIndex(of: "PID") else {
        throw HuskError("ps: no PID column in the output of ps \(options.joined(separator: " "))")
    }
    _ = writeLine(String(header))
    for line in lines.dropFirst() where !line.isEmpty {
        let fields = line.split(separator: " ")
        if column < fields.count, let p = Int32(fields[column]), pids.contains(p) { _ = writeLine(String(line)) }
    }
    return 0
}
