import Glibc
import Cgroups

extension Runtime {
    /// Freezes every process of a created or running container (its cgroup's freezer).
    public func pause(_ id: String) throws(HuskError) {
        let record = try store.load(id)
        let lockFD = try store.lock(id)
        defer { close(lockFD) }
        let st = status(of: record)
        guard st == .running || st == .created else {
            throw HuskError("cannot pause container \"\(id)\": container not running (status \(st.rawValue))")
        }
        let manager = try cgroups(of: record)
        do {
            try manager.freeze(true)
        } catch {
            try? manager.freeze(false)
            throw HuskError("cannot pause container \"\(id)\": \(error)")
        }
    }

    /// Thaws a paused container.
    public func resume(_ id: String) throws(HuskError) {
        let record = try store.load(id)
        let lockFD = try store.lock(id)
        defer { close(lockFD) }
        let st = status(of: record)
        guard st == .paused else {
            throw HuskError("cannot resume container \"\(id)\": container not paused (status \(st.rawValue))")
        }
        do {
            try cgroups(of: record).freeze(false)
        } catch {
            throw HuskError("cannot resume container \"\(id)\": \(error)")
        }
    }
}
