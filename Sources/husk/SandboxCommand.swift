import Glibc
import Images
import JSON
import Runtime
import Sys

let sandboxHelp = """

Runs CMD in a new throw-away container and removes everything when it ends: state dir,
cgroup, mounts and the overlay's upper dir. The root is an overlayfs over --rootfs (left
untouched; changes are discarded, or written with --export-changes as an OCI layer tarball),
or a read-only bind of it where overlayfs is unavailable. The container gets runc's default
capabilities, the default seccomp profile and no_new_privs; stdin, stdout and stderr are husk's.

The root is --rootfs DIR, or --image REF from husk's image store (--storage; 'husk image
import'): its layers are the overlay's lower layers, its Env, WorkingDir and User the defaults.

Nothing is left behind, even when husk is killed: a watcher process (a clone of husk sharing its memory, in its own
session, running no Swift) holds a pidfd of this husk and, if it dies before cleaning up
(SIGKILL, a crash), execs 'husk sandbox-cleanup', which kills the sandbox's cgroup and removes
its state, cgroups, mounts and dir. SIGINT/SIGTERM/SIGHUP
to husk go to every process of the sandbox, then SIGKILL after --grace; a second one kills at
once. 'husk sandbox --gc' removes what a crashed host left (sandboxes with no live husk or
watcher), never a running sandbox.

Durations: 10s, 500ms, 1m30s (Go style) or plain seconds. Sizes: 512m, 1g, bytes.
Temporary dirs go under /var/lib/husk/sandboxes (else $TMPDIR); caches under /var/lib/husk/caches.
--report FILE gets JSON: exitCode, signal, timedOut, oomKilled, error (setup failures), durationMs,
cpuUserMs, cpuSystemMs, memoryPeakBytes, pidsPeak, ioReadBytes, ioWriteBytes, pressure (cgroup v2
PSI; null on cgroup v1), limits, command, rootfs or image. On a terminal a one-line summary goes
to stderr.

Exit status:
  the command's    its exit code; 128+N when it was killed by signal N
  123              the command failed and the kernel OOM-killed a process (--memory reached)
  124              --timeout fired (SIGTERM to every process, SIGKILL after --grace), as timeout(1)
  125              the sandbox itself failed: a bad flag, a missing rootfs, a setup error
  126, 127         CMD cannot be executed, or was not found

"""

let sandboxCommand = Command(
    name: "sandbox", usage: "[options] (--rootfs DIR | --image REF) -- CMD [ARG…]  |  --gc",
    summary: "Run a command in a throw-away container (CI jobs): limits, timeout, report, nothing left behind.",
    options: [
        .init(names: ["rootfs"], takesValue: true, help: "root filesystem (read-only lower layer)"),
        .init(names: ["image"], takesValue: true, help: "run from an image in the store (instead of --rootfs)"),
        .init(names: ["gc"], takesValue: false, help: "remove what crashed sandboxes left (no command)"),
        .init(names: ["read-only"], takesValue: false, help: "keep the root read-only"),
        .init(names: ["export-changes"], takesValue: true, help: "write the root's changes to FILE.tar as an OCI layer"),
        .init(names: ["workspace"], takesValue: true, help: "HOST:CTR read-write bind mount (repeatable)"),
        .init(names: ["workspace-ro"], takesValue: true, help: "HOST:CTR read-only bind mount (repeatable)"),
        .init(names: ["volume", "v"], takesValue: true, help: "SRC:DST[:ro|rw] bind mount (repeatable)"),
        .init(names: ["tmpfs"], takesValue: true, help: "DST[:size=64m,mode=1777] tmpfs mount (repeatable)"),
        .init(names: ["cache"], takesValue: true, help: "NAME:/path persistent dir reused across runs (repeatable)"),
        .init(names: ["memory", "m"], takesValue: true, help: "memory limit (e.g. 512m)"),
        .init(names: ["cpus"], takesValue: true, help: "CPU limit in CPUs (e.g. 1.5: quota 150000 per 100000 us)"),
        .init(names: ["pids"], takesValue: true, help: "maximum number of processes"),
        .init(names: ["io-weight"], takesValue: true, help: "block IO weight (10-1000)"),
        .init(names: ["io-max"], takesValue: true, help: "DEVICE:rbps=N,wbps=N,riops=N,wiops=N IO limits on a block device (repeatable)"),
        .init(names: ["timeout"], takesValue: true, help: "stop the command after DURATION (exit 124)"),
        .init(names: ["grace"], takesValue: true, help: "after the timeout's SIGTERM, wait DURATION before SIGKILL (default 10s)"),
        .init(names: ["network"], takesValue: true, help: "none (default: a new netns with only lo) or host"),
        .init(names: ["env", "e"], takesValue: true, help: "K=V environment variable, or K to pass husk's (repeatable)"),
        .init(names: ["env-file"], takesValue: true, help: "file of K=V lines (# comments) (repeatable)"),
        .init(names: ["user", "u"], takesValue: true, help: "UID[:GID] to run as (default 0:0)"),
        .init(names: ["workdir", "w"], takesValue: true, help: "working directory in the container (default /)"),
        .init(names: ["no-stdin"], takesValue: false, help: "stdin is /dev/null"),
        .init(names: ["report"], takesValue: true, help: "write a JSON report to FILE ('-': stderr)"),
        .init(names: ["log-file"], takesValue: true, help: "also save the command's output to FILE (stdout and stderr still stream live)"),
        .init(names: ["name"], takesValue: true, help: "container ID (default sandbox-<random>)"),
        .init(names: ["tmp-dir"], takesValue: true, help: "where the throw-away dir goes"),
        .init(names: ["cache-dir"], takesValue: true, help: "where --cache dirs live (default /var/lib/husk/caches)"),
    ],
    stopAtFirstPositional: true,
    usageExitCode: SandboxExit.failure,
    extraHelp: sandboxHelp
) { args, ctx in
    if args.flag("gc") { return sandboxGC(args, ctx) }
    var parsed: SandboxOptions? = nil
    do {
        var options: SandboxOptions
        do {
            options = try sandboxOptions(args)
        } catch let e as UsageError {
            throw HuskError("sandbox: " + e.description, exitCode: SandboxExit.failure)
        }
        parsed = options
        var lease: StoreLock? = nil
        if let image = args.value("image") {
            lease = try applyImage(image, storage: ctx.storage, to: &options, workdirGiven: args.value("workdir") != nil,
                                   userGiven: args.value("user") != nil)
            parsed = options
        }
        options.watcher = ["--root", Files.absolute(ctx.root)] + passThroughGlobals() + ["sandbox-cleanup"]
        let result = try withExtendedLifetime(lease) { () throws(HuskError) in try ctx.runtime.sandbox(options) }
        writeSandboxReport(args.value("report"), result.json(options))
        if options.report != "-" && isatty(2) == 1 { FileHandleStderr.write(sandboxSummary(result)) }
        return result.exitCode
    } catch let e as HuskError {
        writeSandboxReport(args.value("report"), SandboxResult.failureJSON(e.message, exitCode: e.exitCode, options: parsed))
        throw e
    }
}

/// The report as JSON to FILE, or to stderr for "-".
private func writeSandboxReport(_ report: String?, _ json: JSONValue) {
    guard let report else { return }
    let text = JSON.serialize(json, pretty: true) + "\n"
    if report == "-" {
        FileHandleStderr.write(text)
        return
    }
    do throws(SysError) {
        try Files.writeAtomically(Files.absolute(report), Array(text.utf8))
    } catch {
        FileHandleStderr.write("husk: sandbox: --report: \(error)\n")
    }
}

/// One line for a person at a terminal.
func sandboxSummary(_ r: SandboxResult) -> String {
    var parts = ["exit \(r.exitCode)"]
    if let s = r.signal { parts.append("signal \(s)") }
    if r.timedOut { parts.append("timed out") }
    if r.oomKilled { parts.append("OOM killed") }
    parts.append("\(r.durationMs) ms")
    if let u = r.cpuUserMs, let s = r.cpuSystemMs { parts.append("cpu \(u) ms user + \(s) ms system") }
    if let m = r.memoryPeakBytes { parts.append("peak memory \(m / 1024) KiB") }
    if let p = r.pidsPeak { parts.append("\(p) pids") }
    return "husk: sandbox: " + parts.joined(separator: ", ") + "\n"
}

/// `husk sandbox --gc [--tmp-dir DIR]`: one line per removed sandbox; exit 1 if something stayed.
private func sandboxGC(_ args: Arguments, _ ctx: Context) -> Int32 {
    let bases = args.value("tmp-dir").map { [Files.absolute($0)] } ?? SandboxOptions.defaultBases()
    let (cleaned, problems) = ctx.runtime.gcSandboxes(bases: bases)
    for c in cleaned { print("removed \(c)") }
    for p in problems { FileHandleStderr.write("husk: sandbox --gc: \(p)\n") }
    return problems.isEmpty ? 0 : 1
}

/// `husk --root R sandbox-cleanup DIR`: what the watcher of a sandbox execs when its husk died.
let sandboxCleanupCommand = Command(
    name: "sandbox-cleanup", usage: "DIR",
    summary: "(internal) removes a sandbox whose husk died: its container, cgroups, mounts and dir.", options: []
) { args, ctx in
    let dir = try Command.positionals(args, "DIR", command: "sandbox-cleanup")[0]
    guard dir.hasPrefix("/") else { throw UsageError("sandbox-cleanup: DIR must be absolute") }
    return ctx.runtime.cleanupAfterHusk(dir: dir)
}

/// The command line → SandboxOptions; every mistake is a UsageError (exit 125).
func sandboxOptions(_ args: Arguments) throws -> SandboxOptions {
    let rootfs = args.value("rootfs")
    guard (rootfs == nil) != (args.value("image") == nil) else { throw UsageError("give either --rootfs DIR or --image REF") }
    guard !args.positionals.isEmpty else { throw UsageError("no command given (usage: husk sandbox [options] --rootfs DIR -- CMD …)") }
    var o = SandboxOptions(command: args.positionals, rootfs: rootfs.map { Files.absolute($0) } ?? "")
    o.readOnly = args.flag("read-only")
    o.exportChanges = args.value("export-changes")
    o.logFile = args.value("log-file")
    o.noStdin = args.flag("no-stdin")
    o.report = args.value("report")
    o.name = args.value("name")
    o.tmpDir = args.value("tmp-dir")
    o.cacheDir = args.value("cache-dir").map { Files.absolute($0) }

    func destination(_ text: Substring, _ flag: String) throws -> String {
        guard text.hasPrefix("/") else { throw UsageError("--\(flag): the container path \"\(text)\" must be absolute") }
        return String(text)
    }
    func bind(_ spec: String, _ flag: String, readOnly: Bool) throws -> SandboxOptions.Mount {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { throw UsageError("--\(flag) \"\(spec)\": expected HOST:CTR") }
        return .bind(source: Files.absolute(String(parts[0])), destination: try destination(parts[1], flag), readOnly: readOnly)
    }
    for w in args.all("workspace") { o.mounts.append(try bind(w, "workspace", readOnly: false)) }
    for w in args.all("workspace-ro") { o.mounts.append(try bind(w, "workspace-ro", readOnly: true)) }
    for v in args.all("volume") {
        let parts = v.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty else { throw UsageError("-v \"\(v)\": expected SRC:DST[:ro]") }
        var readOnly = false
        if parts.count == 3 {
            guard parts[2] == "ro" || parts[2] == "rw" else { throw UsageError("-v \"\(v)\": mode must be ro or rw") }
            readOnly = parts[2] == "ro"
        }
        o.mounts.append(.bind(source: Files.absolute(String(parts[0])), destination: try destination(parts[1], "volume"), readOnly: readOnly))
    }
    for t in args.all("tmpfs") {
        let colon = t.firstIndex(of: ":")
        let dst = try destination(colon.map { t[..<$0] } ?? t[...], "tmpfs")
        let opts = colon.map { t[t.index(after: $0)...].split(separator: ",").map(String.init) } ?? []
        for opt in opts where opt.hasPrefix("size=") {
            let value = String(opt.dropFirst(5))
            guard value.hasSuffix("%") || ResourceFlags.ramInBytes(value) != nil else { throw UsageError("--tmpfs \"\(t)\": bad size \"\(value)\"") }
        }
        o.mounts.append(.tmpfs(destination: dst, options: opts))
    }
    for c in args.all("cache") {
        let parts = c.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, SandboxOptions.isValidCacheName(String(parts[0])) else {
            throw UsageError("--cache \"\(c)\": expected NAME:/path, NAME of letters, digits, '.', '_', '-'")
        }
        o.mounts.append(.cache(name: String(parts[0]), destination: try destination(parts[1], "cache")))
    }

    if let m = args.value("memory") {
        guard let v = ResourceFlags.ramInBytes(m), v > 0 else { throw UsageError("--memory \"\(m)\": expected a size such as 512m") }
        o.memoryBytes = v
    }
    if let c = args.value("cpus") {
        guard let v = Double(c), v > 0, v <= 1024 else { throw UsageError("--cpus \"\(c)\": expected a positive number such as 1.5") }
        guard v * Double(SandboxOptions.cpuPeriod) >= 1000 else { throw UsageError("--cpus \"\(c)\": at least 0.01") }
        o.cpus = v
    }
    if let p = args.value("pids") {
        guard let v = Int64(p), v > 0 else { throw UsageError("--pids \"\(p)\": expected a positive integer") }
        o.pids = v
    }
    if let w = args.value("io-weight") {
        guard let v = UInt16(w), (10...1000).contains(v) else { throw UsageError("--io-weight \"\(w)\": expected 10 to 1000") }
        o.ioWeight = v
    }
    for text in args.all("io-max") {
        switch IOMax.parse(text, device: blockDevice) {
        case .success(let m): o.ioMax.append(m)
        case .failure(let e): throw UsageError("--io-max \"\(text)\": \(e)")
        }
    }
    func duration(_ flag: String) throws -> Int? {
        guard let text = args.value(flag) else { return nil }
        // 0, 0s, 0ms, 0.0: a limit that would stop the command before it starts.
        if flag == "timeout" && text.contains(where: \.isNumber) && !text.contains(where: { ("1"..."9").contains($0) }) {
            throw UsageError("--timeout \"\(text)\": must be longer than 0 (leave --timeout out for no limit)")
        }
        if let secs = Double(text), secs > 0, secs < 1e9 { return max(1, Int(secs * 1000)) }
        guard let ms = ResourceFlags.durationMilliseconds(text) else {
            throw UsageError("--\(flag) \"\(text)\": expected a duration such as 30s, 500ms or 1m30s")
        }
        return ms
    }
    o.timeoutMs = try duration("timeout")
    if args.value("grace") == "0" || args.value("grace") == "0s" { o.graceMs = 0 } else if let g = try duration("grace") { o.graceMs = g }
    switch args.value("network") ?? "none" {
    case "none": o.hostNetwork = false
    case "host": o.hostNetwork = true
    case let n: throw UsageError("--network \"\(n)\": expected none or host")
    }
    for file in args.all("env-file") {
        let text: String
        do { text = try Files.readString(Files.absolute(file)) } catch { throw UsageError("--env-file \(file): \(error)") }
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let l = line.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if l.isEmpty || l.hasPrefix("#") { continue }
            if let e = try envEntry(String(l.hasSuffix("\r") ? l.dropLast() : l[...]), "--env-file \(file):\(i + 1)") { o.env.append(e) }
        }
    }
    for e in args.all("env") { if let entry = try envEntry(e, "--env") { o.env.append(entry) } }
    if let u = args.value("user") {
        let parts = u.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let uid = UInt32(parts[0]), parts.count == 1 || UInt32(parts[1]) != nil else {
            throw UsageError("--user \"\(u)\": expected UID[:GID] (numbers)")
        }
        o.uid = uid
        o.gid = parts.count == 2 ? UInt32(parts[1])! : uid
    }
    if let w = args.value("workdir") { o.workdir = try destination(w[...], "workdir") }
    return o
}

/// `K=V` as given; `K` alone takes husk's own value (dropped when unset).
private func envEntry(_ text: String, _ origin: String) throws -> String? {
    let key = text.prefix(while: { $0 != "=" })
    guard !key.isEmpty, !key.contains(where: { $0 == " " || $0 == "\0" }) else { throw UsageError("\(origin): \"\(text)\" is not K=V") }
    if key.count == text.count, let v = getenv(String(key)) { return "\(key)=\(String(cString: v))" }
    return key.count == text.count ? nil : text
}

/// The major and minor of a block device node (nil: missing, or not a block device).
private func blockDevice(_ path: String) -> (major: Int64, minor: Int64)? {
    var st = stat()
    guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFBLK else { return nil }
    let dev = UInt64(st.st_rdev)  // glibc's major()/minor() are macros
    return (Int64(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)), Int64((dev & 0xff) | ((dev >> 12) & ~0xff)))
}
