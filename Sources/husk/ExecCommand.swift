import Runtime
import Sys

let execCommand = Command(
    name: "exec", usage: "[options] CONTAINER_ID [--] COMMAND [ARG...]",
    summary: "Run a new process inside a running container; husk exits with its exit code.",
    options: [
        .init(names: ["process", "p"], takesValue: true, help: "a runtime-spec process JSON file (what conmon passes)"),
        .init(names: ["env", "e"], takesValue: true, help: "add KEY=VALUE to the environment (repeatable)"),
        .init(names: ["cwd"], takesValue: true, help: "working directory inside the container"),
        .init(names: ["user", "u"], takesValue: true, help: "USER[:GROUP] to run as: ids, or names from the container's /etc/passwd and /etc/group"),
        .init(names: ["additional-gids", "g"], takesValue: true, help: "extra group id (repeatable)"),
        .init(names: ["cap", "c"], takesValue: true, help: "add a capability (repeatable), e.g. CAP_NET_ADMIN"),
        .init(names: ["no-new-privs"], takesValue: false, help: "set no_new_privs for the process"),
        .init(names: ["tty", "t"], takesValue: false, help: "give the process a pty (needs --console-socket)"),
        .init(names: ["console-socket"], takesValue: true, help: "unix socket that receives the pty master"),
        .init(names: ["detach", "d"], takesValue: false, help: "do not wait for the process"),
        .init(names: ["pid-file"], takesValue: true, help: "write the process's pid to this file"),
        .init(names: ["preserve-fds"], takesValue: true, help: "pass N extra fds (3 … 3+N-1)"),
        .init(names: ["process-label"], takesValue: true, help: "SELinux label (refused: no SELinux here)"),
        .init(names: ["apparmor"], takesValue: true, help: "AppArmor profile (refused: no AppArmor here)"),
        .init(names: ["ignore-paused"], takesValue: false, help: "exec into a paused container anyway (the process starts frozen)"),
    ],
    stopAtFirstPositional: true
) { args, ctx in
    var p = args.positionals
    guard !p.isEmpty else { throw UsageError("'husk exec' needs CONTAINER_ID (usage: husk exec ID COMMAND [ARG...])") }
    let id = p.removeFirst()
    if p.first == "--" { p.removeFirst() }
    var o = ExecOptions()
    o.args = p
    if let file = args.value("process") {
        do {
            o.processJSON = try Files.read(Files.absolute(file))
        } catch {
            throw HuskError("--process: \(error)")
        }
    }
    o.env = args.all("env")
    o.cwd = args.value("cwd")
    o.user = args.value("user")
    for g in args.all("additional-gids") {
        guard let gid = UInt32(g) else { throw UsageError("--additional-gids: \"\(g)\" is not a number") }
        o.additionalGids.append(gid)
    }
    o.capabilities = args.all("cap")
    o.noNewPrivileges = args.flag("no-new-privs")
    o.terminal = args.flag("tty")
    o.consoleSocket = args.value("console-socket")
    o.detach = args.flag("detach")
    o.ignorePaused = args.flag("ignore-paused")
    o.pidFile = args.value("pid-file")
    if let n = args.value("preserve-fds") {
        guard let v = Int32(n), v >= 0 else { throw UsageError("--preserve-fds: \"\(n)\" is not a non-negative number") }
        o.preserveFDs = v
    }
    if let label = args.value("process-label"), !label.isEmpty, !HostSecurity.selinuxEnabled {
        throw HuskError("--process-label \(label): SELinux is not enabled on this host")
    }
    if let profile = args.value("apparmor"), !profile.isEmpty, !HostSecurity.apparmorEnabled {
        throw HuskError("--apparmor \(profile): AppArmor is not enabled on this host")
    }
    return try ctx.runtime.exec(id, o)
}
