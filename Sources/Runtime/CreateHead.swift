import Cgroups
import JSON

/// The first steps of a create, which need the ID and the cgroup's resources but not the
/// decoded config: the ID claimed (its state dir made; the claim fails if the ID is taken, so
/// nothing of another container is ever touched) and the cgroup started on another thread.
/// A sandbox takes them before its config is even serialized (CreateOptions.head).
final class CreateHead: @unchecked Sendable {
    let id: String
    /// /proc/self/cgroup of the creating husk, recorded for later verbs.
    let creatorCgroup: String?
    let cgroup: CgroupSetup
    private var abandoned = false

    init(id: String, creatorCgroup: String?, cgroup: CgroupSetup) {
        self.id = id
        self.creatorCgroup = creatorCgroup
        self.cgroup = cgroup
    }

    /// Undoes the head of a create that failed: the cgroup and the state dir (once).
    func abandon(_ store: StateStore) {
        if abandoned { return }
        abandoned = true
        cgroup.abandon()
        try? store.remove(id)
    }
}

extension Runtime {
    /// Claims `id` and starts making its cgroup (see CreateHead). `cgroupsPath` and
    /// `omitting` as for Cgroups.manager; rootless: no cgroup.
    func beginCreate(_ id: String, cgroupsPath: String?, omitting: Set<String> = [],
                     resources: JSONValue) throws(HuskError) -> CreateHead {
        let creatorCgroup = Cgroups.ownCgroupText()
        let manager: any CgroupManager = Rootless.active ? NoCgroupManager()
            : try cgroups(id: id, cgroupsPath: cgroupsPath, procCgroup: creatorCgroup, omitting: omitting)
        _ = try store.claim(id)
        return CreateHead(id: id, creatorCgroup: creatorCgroup, cgroup: CgroupSetup(manager, resources: resources))
    }
}
