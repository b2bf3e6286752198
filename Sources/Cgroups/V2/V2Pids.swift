/// v2 pids.max ("max" for a negative limit; 0 leaves it unchanged).
enum V2Pids {
    static func apply(_ limit: Int64, _ leaf: String) throws(CgroupError) {
        if limit == 0 { return }
        try Knob.set(leaf, "pids.max", Convert.v2Limit(limit), field: "pids.limit")
    }
}
