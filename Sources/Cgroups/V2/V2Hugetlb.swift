/// v2 hugetlb.<size>.max.
enum V2Hugetlb {
    static func apply(_ limits: [Resources.Hugepage], _ leaf: String) throws(CgroupError) {
        for (i, h) in limits.enumerated() {
            try Knob.set(leaf, "hugetlb.\(h.pageSize).max", String(h.limit), field: "hugepageLimits[\(i)]")
        }
    }
}
