import Cgroups
import OCI

extension Runtime {
    /// The container's cgroup manager (nothing is touched until create/destroy).
    func cgroups(id: String, cgroupsPath: String?, procCgroup: String? = nil, omitting: Set<String> = []) throws(HuskError) -> any CgroupManager {
        do {
            return try Cgroups.manager(cgroupsPath: cgroupsPath, containerID: id, procCgroup: procCgroup, omitting: omitting)
        } catch {
            throw HuskError("config.json: linux.cgroupsPath: \(error)")
        }
    }

    /// The cgroup of an existing container, found the way create placed it (relative paths
    /// resolve against the creating husk's cgroup, whichever cgroup this command runs in).
    func cgroups(of record: ContainerRecord) throws(HuskError) -> any CgroupManager {
        if record.noCgroup { return NoCgroupManager() }
        return try cgroups(id: record.id, cgroupsPath: record.cgroupsPath, procCgroup: record.creatorCgroup)
    }

    /// Waits for the cgroup (see CgroupSetup) and wires it into the launch plan:
    /// CLONE_INTO_CGROUP on v2 (no moment outside the cgroup), the join files otherwise.
    func placeInCgroup(_ setup: CgroupSetup, _ plan: inout LaunchPlan) throws(HuskError) {
        try setup.finish()
        let manager = setup.manager
        plan.cgroupJoinFiles = manager.joinFiles
        let cgroupNS = UInt64(HuskNamespace.cgroup.flag)
        if !plan.newUserNamespace, let fd = manager.openLeafForClone() {
            plan.cgroupFD = fd
        } else if plan.cloneFlags & cgroupNS != 0 {
            plan.cloneFlags &= ~cgroupNS
            plan.unshareCgroupNamespace = true
        }
    }
}
