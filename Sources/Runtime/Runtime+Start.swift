import CHusk
import Glibc
import OCI
import Sys

extension Runtime {
    /// Releases a created container's init from the start fifo; never hangs on a dead init.
    public func start(_ id: String) throws(HuskError) {
        let record = try store.load(id)
        let lockFD = try store.lock(id)
        defer { close(lockFD) }
        switch status(of: record) {
        case .created: break
        case .stopped:
            throw HuskError("cannot start container \"\(id)\": its init process (pid \(record.pid)) is no longer running; delete it and create it again")
        case let s:
            throw HuskError("cannot start container \"\(id)\": it is \(s.rawValue), not created")
        }
        try releaseInit(record)
        if let hooks = savedSpec(of: id)?.hooks, !hooks.poststart.isEmpty {
            waitForExec(record)
            HookRunner.runWarning(hooks.poststart, kind: "poststart", state: stateBytes(record, .running), log: log, id: id)
        }
    }

    /// For a container this process launched (run, sandbox, supervisor): release init, then
    /// wait for execve — EOF on the sync socket — or the exec error it reports instead.
    func startLaunched(_ record: ContainerRecord, _ launched: Launcher.Launched) throws(HuskError) {
        var msg = husk_msg()
        do throws(HuskError) {
            if launched.startBySync {
                // Init waits on the sync socket (CreateOptions.startInProcess): one byte is its start.
                var go: UInt8 = 1
                if send(launched.sync, &go, 1, Int32(MSG_NOSIGNAL)) != 1 {
                    throw HuskError("cannot start container \"\(record.id)\": its init process (pid \(record.pid)) is gone")
                }
            } else {
                try releaseInit(record)
            }
        } catch {
            // Init may have failed after "ready" (a filter loaded before start): its message says why.
            if husk_recv_msg(launched.sync, &msg, 0) > 0 && msg.kind == Int32(HUSK_MSG_ERROR.rawValue) {
                throw Launcher.initError(msg)
            }
            throw error
        }
        if husk_recv_msg(launched.sync, &msg, -1) > 0 && msg.kind == Int32(HUSK_MSG_ERROR.rawValue) {
            throw Launcher.initError(msg)
        }
    }

    func releaseInit(_ record: ContainerRecord) throws(HuskError) {
        // The pidfd first: once the fifo is open, a quick process may exec and exit at once;
        // its byte then still waits in the fifo and start has succeeded.
        guard let pidfd = openInit(record) else {
            throw HuskError("cannot start container \"\(record.id)\": its init process (pid \(record.pid)) is no longer running")
        }
        defer { close(pidfd) }
        let fifoPath = store.fifoPath(of: record.id)
        let fifo = husk_open_fifo_nonblock(fifoPath)
        if fifo < 0 { throw HuskError(SysError("open", path: fifoPath), stage: "start") }
        defer { close(fifo) }
        var fds = [pollfd(fd: fifo, events: Int16(POLLIN), revents: 0), pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
        while true {
            let r = poll(&fds, 2, 10_000)
            if r < 0 && errno == EINTR { continue }
            if r < 0 { throw HuskError(SysError("poll", path: fifoPath), stage: "start") }
            if r == 0 { throw HuskError("cannot start container \"\(record.id)\": init did not answer on \(fifoPath) within 10s") }
            if fds[0].revents & Int16(POLLIN) != 0 { break }
            if fds[1].revents != 0 {
                throw HuskError("cannot start container \"\(record.id)\": its init process (pid \(record.pid)) exited before start")
            }
        }
        var byte: UInt8 = 0
        _ = read(fifo, &byte, 1)
        unlink(fifoPath)
    }

    /// poststart hooks run after the user's process has been executed (runtime-spec). Init is
    /// named "husk-init" until execve (spawn.c), so its comm changing means it has exec'd.
    /// Bounded: startContainer hooks run in between and may be slow.
    func waitForExec(_ record: ContainerRecord, timeoutMs: Int = 5_000) {
        for _ in 0..<(timeoutMs / 2) {
            guard let comm = try? Files.readString("/proc/\(record.pid)/comm") else { return }
            if comm != "husk-init\n" { return }
            usleep(2_000)
        }
    }
}
