import CHusk
import Glibc
import Sys

/// The container init `run` waits for; read by the signal handler that forwards signals.
nonisolated(unsafe) private var forwardTarget: Int32 = 0

extension Runtime {
    /// create + start; in the foreground, forwards signals, waits, deletes the container and
    /// returns its exit code (128+N when killed by signal N). Detached, returns 0 at once.
    public func run(_ id: String, _ options: CreateOptions, detach: Bool) throws(HuskError) -> Int32 {
        var options = options
        options.relayTerminal = !detach
        // This process starts what it creates: no exec.fifo (see CreateOptions.startInProcess).
        options.startInProcess = true
        let created = try createContainer(id, options)
        let launched = created.launched, record = created.record
        let relay = launched.relay
        defer { relay?.close() }
        defer {
            close(launched.sync)
            if launched.pidfd >= 0 { close(launched.pidfd) }
        }
        do throws(HuskError) {
            try startLaunched(record, launched)
        } catch {
            _ = try? delete(id, force: true)
            throw error
        }
        if !created.poststart.isEmpty {
            HookRunner.runWarning(created.poststart, kind: "poststart", state: stateBytes(record, .running), log: log, id: id)
        }
        if detach { return 0 }

        if let relay {
            do throws(HuskError) {
                try relay.receiveMaster()
            } catch {
                _ = try? delete(id, force: true)
                throw error
            }
        }
        forwardTarget = launched.pid
        let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH]
        for s in forwarded { signal(s) { sig in if forwardTarget > 0 { Glibc.kill(forwardTarget, sig) } } }
        relay?.pump(until: launched.pidfd)
        var raw: Int32 = 0
        while waitpid(launched.pid, &raw, 0) < 0 {
            if errno != EINTR { break }
        }
        forwardTarget = 0
        for s in forwarded { signal(s, SIG_DFL) }
        do {
            // Init is reaped; in a pid namespace nothing of the container is left running, and
            // without one deleteReaped's cgroup removal kills what is.
            try deleteReaped(record, cgroup: record.noCgroup ? nil : created.cgroup)
        } catch {
            log.warning("container \(id) exited, but cleanup failed: \(error.message)")
        }
        return ExitStatus(raw: raw).code
    }

}
