/// v1 pids controller: pids.max ("max" for a negative limit; 0 leaves it unchanged, as runc).
enum V1Pids {
    static func apply(_ limit: Int64, _ dir: String) throws(CgroupError) {
        if limit == 0 { return }
        try Knob.set(dir, "pids.max", limit < 0 ? "max" : String(limit), field: "pids.limit")
    }
}
