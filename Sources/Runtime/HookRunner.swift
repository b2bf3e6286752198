import CHusk
import Glibc
import OCI
import Sys

/// Runs hooks from the runtime's namespace (prestart, createRuntime, poststart, poststop):
/// the state JSON on stdin, the hook's args and env, killed after its timeout.
enum HookRunner {
    static func run(_ hooks: [Hook], kind: String, state: [UInt8]) throws(HuskError) {
        for (i, hook) in hooks.enumerated() {
            try runOne(hook, label: "\(kind) hook \(i) (\(hook.path))", state: state)
        }
    }

    /// For poststart and poststop: a failing hook is a warning, and the rest still run.
    static func runWarning(_ hooks: [Hook], kind: String, state: [UInt8], log: Logger, id: String) {
        for (i, hook) in hooks.enumerated() {
            do {
                try runOne(hook, label: "\(kind) hook \(i) (\(hook.path))", state: state)
            } catch {
                log.warning("container \(id): \(error.message)")
            }
        }
    }

    private static func runOne(_ hook: Hook, label: String, state: [UInt8]) throws(HuskError) {
        var pipeFDs: [Int32] = [-1, -1]
        guard husk_pipe_cloexec(&pipeFDs) == 0 else { throw HuskError(SysError("pipe"), stage: label) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 0)
        let argv = (hook.args ?? [hook.path]).map { strdup($0) } + [nil]
        let envp = (hook.env ?? []).map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, hook.path, &actions, nil, argv, envp)
        close(pipeFDs[0])
        if rc != 0 {
            close(pipeFDs[1])
            throw HuskError("\(label): \(errnoText(rc))")
        }
        _ = state.withUnsafeBytes { write(pipeFDs[1], $0.baseAddress, $0.count) }
        close(pipeFDs[1])
        let status = try wait(pid, timeout: hook.timeout, label: label)
        if status.code != 0 || status.signal != nil { throw HuskError("\(label) failed: \(status)") }
    }

    private static func wait(_ pid: pid_t, timeout: Int?, label: String) throws(HuskError) -> ExitStatus {
        let pidfd = husk_pidfd_open(pid)
        defer { if pidfd >= 0 { close(pidfd) } }
        if let timeout, timeout > 0, pidfd >= 0 {
            var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            var r: Int32
            repeat { r = poll(&p, 1, Int32(clamping: timeout * 1000)) } while r < 0 && errno == EINTR
            if r == 0 {
                kill(pid, SIGKILL)
                var s: Int32 = 0
                waitpid(pid, &s, 0)
                throw HuskError("\(label) timed out after \(timeout)s and was killed")
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw HuskError(SysError("waitpid"), stage: label) }
        }
        return ExitStatus(raw: status)
    }
}
