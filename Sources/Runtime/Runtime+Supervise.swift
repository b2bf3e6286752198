import CHusk
import Cgroups
import Glibc
import JSON
import Sys

/// `husk run -d` at a terminal or in a CI script: a supervisor process owns the container.
///
/// The CLI re-executes husk itself (`/proc/self/exe supervise …`, posix_spawn with
/// POSIX_SPAWN_SETSID, stdio on /dev/null, a status pipe as fd 3) and waits for one line on the
/// pipe: `ok`, or `error CODE MESSAGE`. No Swift runs in a forked child: the supervisor is a
/// fresh exec of the binary. It makes itself a child subreaper, creates and starts the container
/// (init is its child), captures init's stdout/stderr through pipes into container.log, forwards
/// SIGTERM/SIGINT/SIGHUP/SIGUSR1/SIGUSR2 to init, reaps everything, and once init is gone writes
/// exit.json (exit code, signal, time, OOM kill) and exits. It never holds the lock: `delete`
/// waits for it (it is quick to leave once init is dead) and kills it after a few seconds.
///
/// Engines (create/start with their own conmon/shim) never meet it.
public struct SuperviseOptions: Sendable {
    public var create: CreateOptions
    public var logMaxSize = ContainerLog.defaultMaxSize
    /// The status pipe to the CLI.
    public var statusFD: Int32 = 3

    public init(create: CreateOptions) { self.create = create }
}

/// How long the supervisor keeps reading output after init exited, for processes that
/// outlive it without a pid namespace (they keep the pipes open).
private let drainAfterExitMs: Int32 = 1000

extension Runtime {
    // MARK: the CLI side

    /// Starts `/proc/self/exe` with `arguments` (a `supervise` command line) detached and waits
    /// for its report: returns when the container runs, throws its error (with its exit code).
    public func launchSupervisor(arguments: [String]) throws(HuskError) {
        let (pid, status) = try spawnDetachedHusk(arguments, stage: "supervisor")
        defer { Glibc.close(status) }
        let text = readStatusLine(status) ?? ""
        if text == "ok" { return }
        if text.hasPrefix("error ") {
            let rest = text.dropFirst(6)
            let code = rest.prefix(while: { $0 != " " })
            let message = rest.dropFirst(code.count + 1)
            throw HuskError(String(message), exitCode: Int32(code) ?? 1)
        }
        // It died before a word: say how.
        var raw: Int32 = 0
        var how = ""
        for _ in 0..<100 {
            if waitpid(pid, &raw, WNOHANG) == pid { how = " (\(ExitStatus(raw: raw)))"; break }
            usleep(10_000)
        }
        throw HuskError("the supervisor (pid \(pid)) exited without reporting\(how)")
    }

    // MARK: the supervisor

    /// The body of `husk supervise`: returns the supervisor's exit code.
    public func supervise(_ id: String, _ options: SuperviseOptions) -> Int32 {
        let status = options.statusFD
        _ = fcntl(status, F_SETFD, FD_CLOEXEC)
        func report(_ line: String) {
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { Glibc.write(status, $0.baseAddress, $0.count) }
            Glibc.close(status)
        }
        func fail(_ error: HuskError) -> Int32 {
            log.error("supervisor of \(id): \(error.message)")
            report("error \(error.exitCode) \(error.message.replacingNewlines())")
            return error.exitCode
        }
        husk_sup_record_signals()
        if husk_set_child_subreaper() != 0 { return fail(HuskError(SysError("prctl(PR_SET_CHILD_SUBREAPER)"), stage: "supervisor")) }
        _ = chdir("/")

        // The container's stdout and stderr: our fds 1 and 2 while it is created (init inherits them).
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard husk_pipe_cloexec(&out) == 0, husk_pipe_cloexec(&err) == 0 else {
            return fail(HuskError(SysError("pipe"), stage: "supervisor"))
        }
        dup2(out[1], 1)
        dup2(err[1], 2)
        Glibc.close(out[1])
        Glibc.close(err[1])

        var createOptions = options.create
        createOptions.supervised = true
        let launched: Launcher.Launched
        do {
            launched = try create(id, createOptions)
        } catch {
            return fail(error)
        }
        let initPid = launched.pid
        var initPidfd = launched.pidfd
        let cgroup = (try? store.load(id)).flatMap { try? cgroups(of: $0) }
        let oomBefore = cgroup?.oomKillCount()
        do throws(HuskError) {
            let record = try store.load(id)
            try startLaunched(record, launched)
            Glibc.close(launched.sync)
            if let hooks = savedSpec(of: id)?.hooks, !hooks.poststart.isEmpty {
                HookRunner.runWarning(hooks.poststart, kind: "poststart", state: stateBytes(record, .running), log: log, id: id)
            }
        } catch {
            Glibc.close(launched.sync)
            _ = try? delete(id, force: true)
            if initPidfd >= 0 { Glibc.close(initPidfd) }
            return fail(error)
        }

        // From now on only the container holds the pipes' write ends.
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        if devnull >= 0 {
            dup2(devnull, 1)
            dup2(devnull, 2)
            Glibc.close(devnull)
        }
        // The log exists before the CLI returns: `husk logs` right after `run -d` finds it.
        let dir = store.directory(of: id)
        let created = Glibc.open(ContainerLog.path(in: dir), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if created >= 0 { Glibc.close(created) }
        report("ok")
        log.debug("supervising container \(id) (init pid \(initPid))")

        let sfd = husk_sup_block_signals()
        while true {
            let s = husk_sup_take_pending()
            if s == 0 { break }
            Glibc.kill(initPid, s)
        }
        if initPidfd >= 0 { Glibc.close(initPidfd); initPidfd = -1 }
        // The loop that runs until init exits is C (supervise_loop.c): it first releases what the
        // set-up touched, so the supervisor stays small for the container's life.
        var result = husk_sup_loop_result()
        ContainerLog.path(in: dir).withCString { logPath in
            ContainerLog.rotatedPath(in: dir).withCString { rotatedPath in
                var args = husk_sup_loop_args(init_pid: initPid, stdout_fd: out[0], stderr_fd: err[0], signal_fd: sfd,
                                              log_path: logPath, rotated_path: rotatedPath,
                                              log_max_size: Int64(options.logMaxSize), drain_ms: drainAfterExitMs)
                husk_sup_loop(&args, &result)
            }
        }
        let initStatus: Int32? = result.reaped != 0 ? result.status : nil

        let raw = initStatus ?? 0
        let exit = ExitStatus(raw: raw)
        var oomKilled = false
        if let cgroup {
            if let before = oomBefore, let after = cgroup.oomKillCount() {
                oomKilled = after > before
            } else if exit.signal == SIGKILL, let m = cgroup.stats().memory {
                // No OOM-kill counter: a failed charge with the limit reached, and init SIGKILLed.
                oomKilled = m.failcnt > 0 && m.limit > 0 && m.max >= m.limit
            }
        }
        let record = ExitRecord(status: exit, finishedAt: rfc3339(result.finished), oomKilled: oomKilled)
        if initStatus != nil {
            try? Files.writeAtomically(store.exitPath(of: id), JSON.serializeBytes(record.json) + [10], mode: 0o644)
        }
        log.debug("container \(id) exited: \(exit)\(oomKilled ? " (OOM killed)" : "")")
        return 0
    }

    // MARK: delete's side

    /// Waits (up to 5 s) for a live supervisor of `record` to finish its exit.json, then kills it:
    /// nothing may write into the state dir while delete removes it.
    func awaitSupervisor(_ record: ContainerRecord) {
        guard let pid = record.supervisorPid, let start = record.supervisorStartTime, pid != getpid(),
              Processes.isRunning(pid, startedAt: start) else { return }
        let fd = husk_pidfd_open(pid)
        guard fd >= 0 else { return }
        defer { Glibc.close(fd) }
        guard Processes.isRunning(pid, startedAt: start) else { return }
        if waitExit(pidfd: fd, timeoutMs: 5000) { return }
        log.warning("container \(record.id): its supervisor (pid \(pid)) did not exit; killing it")
        husk_pidfd_send_signal(fd, SIGKILL)
        _ = waitExit(pidfd: fd, timeoutMs: 5000)
    }

    /// The supervisor of `record` is alive (the same process that created the container).
    public func supervisorAlive(_ record: ContainerRecord) -> Bool {
        guard let pid = record.supervisorPid, let start = record.supervisorStartTime else { return false }
        return Processes.isRunning(pid, startedAt: start)
    }
}

func monotonicMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }

    func replacingNewlines() -> String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}
