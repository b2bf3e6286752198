import Cgroups
import Glibc
import JSON

extension Runtime {
    /// runc's stats event: `{"type":"stats","id":…,"data":{"cpu":…,"memory":…,"pids":…}}`.
    public func statsEvent(_ id: String) throws(HuskError) -> JSONValue {
        let (record, manager) = try liveCgroup(id)
        _ = record
        return ["type": "stats", "id": .string(id), "data": manager.stats().json]
    }

    /// Streams events until the container is gone: a stats event every `intervalMs`, and
    /// `{"type":"oom","id":…}` whenever the cgroup's OOM-kill counter rises (checked every ≤200 ms,
    /// and once more before returning, so the kill of init itself is reported).
    /// `emit` returns false when its reader is gone; streaming then stops.
    public func events(_ id: String, intervalMs: Int, emit: (JSONValue) -> Bool) throws(HuskError) {
        let (_, manager) = try liveCgroup(id)
        var lastOOM = manager.oomKillCount() ?? 0
        let step = max(1, min(intervalMs, 200))
        var sinceStats = 0
        func checkOOM() -> Bool {
            guard let now = manager.oomKillCount(), now > lastOOM else { return true }
            lastOOM = now
            return emit(["type": "oom", "id": .string(id)])
        }
        while true {
            usleep(UInt32(step) * 1000)
            sinceStats += step
            guard checkOOM() else { return }
            guard let record = try? store.load(id), status(of: record) != .stopped else { return }
            if sinceStats >= intervalMs {
                sinceStats = 0
                guard emit(["type": "stats", "id": .string(id), "data": manager.stats().json]) else { return }
            }
        }
    }

    private func liveCgroup(_ id: String) throws(HuskError) -> (ContainerRecord, any CgroupManager) {
        let record = try store.load(id)
        guard status(of: record) != .stopped else {
            throw HuskError("container \"\(id)\" is not running")
        }
        return (record, try cgroups(of: record))
    }
}
