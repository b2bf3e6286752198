import CHusk
import Glibc
import JSON
import OCI
import Sys

/// The container runtime: lifecycle verbs over the containers in one state root.
/// One file per verb (Runtime+Create.swift, …), like runc's commands.
public struct Runtime: Sendable {
    public let store: StateStore
    public let log: Logger

    public init(root: String, log: Logger) {
        self.store = StateStore(root: root)
        self.log = log
    }

    /// The live status: stopped once init is gone (PID reuse is caught by its start time),
    /// paused while its cgroup is frozen, created while the start fifo exists, running otherwise.
    public func status(of record: ContainerRecord) -> Status {
        guard record.pid > 0, Processes.isRunning(record.pid, startedAt: record.initStartTime) else { return .stopped }
        if isFrozen(record) { return .paused }
        return Files.exists(store.fifoPath(of: record.id)) ? .created : .running
    }

    /// The container's cgroup is frozen (one read of freezer.state or cgroup.events).
    func isFrozen(_ record: ContainerRecord) -> Bool {
        (try? cgroups(of: record))?.isFrozen ?? false
    }

    /// The config as it was at create (the bundle's may have changed since).
    func savedSpec(of id: String) -> Spec? {
        guard let bytes = try? Files.read(store.directory(of: id) + "/config.json") else { return nil }
        return try? Spec.load(bytes: bytes)
    }

    func stateBytes(_ record: ContainerRecord, _ status: Status) -> [UInt8] {
        Array(JSON.serialize(record.ociState(status)).utf8)
    }

    /// Opens a pidfd for init and checks it is still the same process (not a reused PID).
    func openInit(_ record: ContainerRecord) -> Int32? {
        let fd = husk_pidfd_open(record.pid)
        guard fd >= 0 else { return nil }
        if Processes.isRunning(record.pid, startedAt: record.initStartTime) { return fd }
        close(fd)
        return nil
    }

    /// Waits until a pidfd's process exits, up to `timeoutMs`; true if it did.
    func waitExit(pidfd: Int32, timeoutMs: Int32) -> Bool {
        var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        var r: Int32
        repeat { r = poll(&p, 1, timeoutMs) } while r < 0 && errno == EINTR
        return r > 0
    }
}
