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

    /// Creates the cgroup with the config's limits and wires it into the launch plan:
    /// CLONE_INTO_CGROUP on v2 (no moment outside the cgroup), the join files otherwise.
    func placeInCgroup(_ manager: any CgroupManager, _ linux: Linux, _ plan: inout LaunchPlan) throws(HuskError) {
        let devices = linux.devices.compactMap { d -> (type: String, major: Int64, minor: Int64)? in
            guard let major = d.major, let minor = d.minor, d.type == "c" || d.type == "b" || d.type == "u" else { return nil }
            return (d.type == "u" ? "c" : d.type, major, minor)
        }
        do {
            try manager.create(resources: Cgroups.resources(linux.resources, allowingDevices: devices))
        } catch {
            throw HuskError(error.description)
        }
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
