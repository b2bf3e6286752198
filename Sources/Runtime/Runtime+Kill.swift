import CHusk
import Glibc
import Sys

extension Runtime {
    /// Sends a signal to init (or, with `all`, to every process of the container).
    public func kill(_ id: String, signal: Int32, all: Bool = false) throws(HuskError) {
        let record = try store.load(id)
        let st = status(of: record)
        guard st == .created || st == .running || st == .paused else {
            throw HuskError("cannot kill container \"\(id)\": container not running (status \(st.rawValue))")
        }
        guard let pidfd = openInit(record) else {
            throw HuskError("cannot kill container \"\(id)\": container not running")
        }
        defer { close(pidfd) }
        if all {
            var pids = Set(processes(of: record))
            if let manager = try? cgroups(of: record) { pids.formUnion(manager.pids()) }
            for pid in pids where pid != record.pid { Glibc.kill(pid, signal) }
        }
        if husk_pidfd_send_signal(pidfd, signal) != 0 {
            throw HuskError(SysError("kill", path: "pid \(record.pid)"), stage: "kill")
        }
        // A frozen task does not act on SIGKILL until thawed (v1): thaw so the kill lands, as runc does.
        // Other signals stay pending until `resume`.
        if st == .paused && signal == SIGKILL {
            do {
                try cgroups(of: record).freeze(false)
            } catch {
                throw HuskError("kill container \"\(id)\": SIGKILL sent, but thawing its cgroup failed: \(error)")
            }
        }
    }

    /// The processes in the container's pid namespace (seen from ours), init included.
    func processes(of record: ContainerRecord) -> [Int32] {
        guard let initNS = readLink("/proc/\(record.pid)/ns/pid"),
              initNS != readLink("/proc/self/ns/pid") else { return [record.pid] }
        return Files.listDirectory("/proc").compactMap { Int32($0) }.filter { readLink("/proc/\($0)/ns/pid") == initNS }
    }

    private func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 256)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
