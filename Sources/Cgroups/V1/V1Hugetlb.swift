import Sys

/// Hugepage limits: the v1 hugetlb hierarchy, or on hybrid hosts the cgroup2 one when it offers hugetlb.
enum V1Hugetlb {
    static func apply(_ limits: [Resources.Hugepage], _ dir: String) throws(CgroupError) {
        for (i, h) in limits.enumerated() {
            try Knob.set(dir, "hugetlb.\(h.pageSize).limit_in_bytes", String(h.limit), field: "hugepageLimits[\(i)]")
        }
    }

    static func applyUnified(_ limits: [Resources.Hugepage], _ dir: String) throws(CgroupError) {
        for (i, h) in limits.enumerated() {
            try Knob.set(dir, "hugetlb.\(h.pageSize).max", String(h.limit), field: "hugepageLimits[\(i)]")
        }
    }

    /// The cgroup2 directory to use, if hugetlb is already enabled down to the container's parent there.
    /// husk never enables controllers in the host's cgroup2 hierarchy on a hybrid host.
    static func unifiedTarget(_ m: V1Manager) throws(CgroupError) -> (dir: String, base: String) {
        guard let u = m.unified, let dir = m.unifiedDirectory else {
            throw CgroupError.field("hugepageLimits", "no hugetlb controller: neither a v1 hugetlb hierarchy nor a cgroup2 mount")
        }
        let base = m.inner.absolute ? u.mountPoint : CgroupPath.join(u.mountPoint, u.ownCgroup)
        let parent = String(dir[..<dir.lastIndex(of: "/")!])
        // Each existing ancestor from base to parent must delegate hugetlb.
        var current = parent
        while true {
            if Files.isDirectory(current) {
                let enabled = (FS.readTrimmed(current + "/cgroup.subtree_control") ?? "").split(separator: " ")
                if !enabled.contains("hugetlb") {
                    throw CgroupError.field("hugepageLimits", "no v1 hugetlb hierarchy, and hugetlb is not enabled in \(current)/cgroup.subtree_control of the cgroup2 hierarchy; husk does not change the host's cgroup2 tree on a hybrid host")
                }
            }
            if current.count <= base.count { break }
            current = String(current[..<current.lastIndex(of: "/")!])
        }
        return (dir, base)
    }
}
