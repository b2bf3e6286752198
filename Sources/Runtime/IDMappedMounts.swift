import CHusk
import Glibc
import OCI
import Sys

/// Id-mapped mounts (`mounts[].uidMappings`/`gidMappings`, options `idmap`/`ridmap`), made in
/// the parent before clone (see CHusk/idmap.c); the child move_mounts each onto its destination.
enum IDMappedMounts {
    /// Opens a detached id-mapped tree for every such mount of the plan. On failure nothing
    /// stays open. The caller closes the fds after launch.
    static func prepare(_ plan: inout LaunchPlan) throws(HuskError) -> [Int32] {
        var fds: [Int32] = []
        let count = plan.mounts.filter { $0.idmap != nil }.count
        if count > 64 { throw HuskError("config.json: mounts: \(count) id-mapped mounts, husk handles at most 64") }
        for i in plan.mounts.indices {
            guard let idmap = plan.mounts[i].idmap, let source = plan.mounts[i].source else { continue }
            func render(_ maps: [IDMapping]) -> String { maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined() }
            var stage: UnsafePointer<CChar>? = nil
            let fd = husk_idmapped_tree(source, plan.mounts[i].flags & MountFlag.recursive != 0 ? 1 : 0, idmap.recursive ? 1 : 0,
                                        render(idmap.uid), render(idmap.gid), &stage)
            if fd < 0 {
                fds.forEach { close($0) }
                let what = stage.map { String(cString: $0) } ?? "id-mapped mount"
                var why = errnoText(-fd)
                if -fd == EINVAL && what.hasPrefix("mount_setattr") {
                    why = "the filesystem of \(source) does not support id-mapped mounts (\(why))"
                }
                throw HuskError("config.json: \(idmap.field): id-mapped bind of \(source): \(what): \(why)")
            }
            plan.mounts[i].idmapFD = fd
            fds.append(fd)
        }
        return fds
    }
}
