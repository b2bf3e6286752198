import Sys

extension Runtime {
    /// The PIDs of a container's processes (host PIDs), from its cgroup like `runc ps`;
    /// init alone when the cgroup lists nothing (it is gone, or not readable).
    public func containerPids(_ id: String) throws(HuskError) -> [Int32] {
        let record = try store.load(id)
        guard status(of: record) != .stopped else { return [] }
        let pids = (try? cgroups(of: record))?.pids() ?? []
        return pids.isEmpty ? processes(of: record) : pids
    }

    /// process.args of the config saved at create (the COMMAND column of `husk ps`).
    public func commandLine(of id: String) -> [String] {
        savedSpec(of: id)?.process?.args ?? []
    }
}
