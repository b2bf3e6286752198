import CHusk
import Cgroups
import Glibc
import OCI
import Sys

extension Runtime {
    /// Removes a stopped container (with `force`, kills it first): poststop hooks, then
    /// its state dir. Deleting a created or running container without force is an error,
    /// as the runtime-spec requires. Returns the container's bundle path (nil for a
    /// half-created one), so the caller can remove a bundle it made (an image run's).
    @discardableResult
    public func delete(_ id: String, force: Bool) throws(HuskError) -> String? {
        try ContainerID.validate(id)
        let record: ContainerRecord
        do {
            record = try store.load(id)
        } catch {
            // A create that crashed half-way leaves a dir without state.json.
            // Like runc (containerd relies on it): --force of an unknown container succeeds.
            if force && !Files.exists(store.directory(of: id) + "/state.json") {
                try store.remove(id)
                return nil
            }
            throw error
        }
        let lockFD = try store.lock(id)
        defer { close(lockFD) }
        let st = status(of: record)
        if st != .stopped {
            guard force else {
                throw HuskError("cannot delete container \"\(id)\": it is \(st.rawValue), not stopped (stop it first, or use delete --force)")
            }
            try stopForcibly(record)
        }
        // A supervisor (run -d) is writing exit.json: let it finish before the dir goes.
        awaitSupervisor(record)
        try removeStopped(record, cgroup: nil)
        return record.bundle
    }

    /// Deletes a container whose init this process has reaped (a sandbox's), with the record
    /// and cgroup manager it already holds: nothing is read back.
    func deleteReaped(_ record: ContainerRecord, cgroup: (any CgroupManager)?) throws(HuskError) {
        let lockFD = try store.lock(record.id)
        defer { close(lockFD) }
        try removeStopped(record, cgroup: cgroup)
    }

    /// The end of every delete, once init is gone: the cgroup (whatever still runs in it is
    /// killed), the state dir, then the poststop hooks.
    private func removeStopped(_ record: ContainerRecord, cgroup: (any CgroupManager)?) throws(HuskError) {
        let id = record.id
        // Read before the state dir goes; decoded only when there may be hooks to run.
        let poststop = record.noPoststopHooks ? [] : savedSpec(of: id)?.hooks?.poststop ?? []
        do {
            try (cgroup ?? cgroups(of: record)).destroy(killFirst: true)
        } catch {
            throw HuskError("cannot delete container \"\(id)\": \(error)")
        }
        try store.remove(id)
        if !poststop.isEmpty {
            HookRunner.runWarning(poststop, kind: "poststop", state: stateBytes(record, .stopped), log: log, id: id)
        }
    }

    /// The signal an image asks to be stopped with (annotation org.opencontainers.image.stopSignal), if any.
    public func stopSignal(of id: String) -> Int32? {
        savedSpec(of: id)?.annotations["org.opencontainers.image.stopSignal"].flatMap { Signals.parse($0) }
    }

    private func stopForcibly(_ record: ContainerRecord) throws(HuskError) {
        guard let pidfd = openInit(record) else { return }
        defer { close(pidfd) }
        for pid in processes(of: record) where pid != record.pid { Glibc.kill(pid, SIGKILL) }
        husk_pidfd_send_signal(pidfd, SIGKILL)
        // Without a pid namespace other processes outlive init: the cgroup knows them all.
        if let manager = try? cgroups(of: record) {
            for pid in manager.pids() where pid != record.pid { Glibc.kill(pid, SIGKILL) }
            // Paused: frozen tasks act on SIGKILL only once thawed.
            if manager.isFrozen { try? manager.freeze(false) }
        }
        // Our own child (run): reap it; otherwise its parent does, and we watch the pidfd.
        var status: Int32 = 0
        if waitpid(record.pid, &status, 0) == record.pid { return }
        if !waitExit(pidfd: pidfd, timeoutMs: 10_000) {
            throw HuskError("container \"\(record.id)\": init (pid \(record.pid)) did not exit within 10s of SIGKILL")
        }
    }
}
