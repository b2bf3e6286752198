import Sys

/// v1 cpu and cpuset controllers.
enum V1CPU {
    static func apply(_ c: Resources.CPU, _ dir: String) throws(CgroupError) {
        if let s = c.shares, s != 0 { try Knob.set(dir, "cpu.shares", String(s), field: "cpu.shares") }
        // Period before quota so a quota valid only for the new period is accepted.
        if let p = c.period, p != 0 { try Knob.set(dir, "cpu.cfs_period_us", String(p), field: "cpu.period") }
        if let q = c.quota, q != 0 { try Knob.set(dir, "cpu.cfs_quota_us", String(q), field: "cpu.quota") }
        if let b = c.burst { try Knob.set(dir, "cpu.cfs_burst_us", String(b), field: "cpu.burst") }
        if let p = c.realtimePeriod, p != 0 { try Knob.set(dir, "cpu.rt_period_us", String(p), field: "cpu.realtimePeriod") }
        if let r = c.realtimeRuntime, r != 0 { try Knob.set(dir, "cpu.rt_runtime_us", String(r), field: "cpu.realtimeRuntime") }
        if let i = c.idle { try Knob.set(dir, "cpu.idle", String(i), field: "cpu.idle") }
    }

    static func applyCpuset(_ c: Resources.CPU, _ dir: String) throws(CgroupError) {
        if let cpus = c.cpus, !cpus.isEmpty { try Knob.set(dir, "cpuset.cpus", cpus, field: "cpu.cpus") }
        if let mems = c.mems, !mems.isEmpty { try Knob.set(dir, "cpuset.mems", mems, field: "cpu.mems") }
    }

    /// A new v1 cpuset starts with empty cpus and mems, and no task can join it; copy them down
    /// from the parent for each level below `base`, as runc does.
    static func inheritCpuset(_ dir: String, below base: String) throws(CgroupError) {
        var levels: [String] = []
        var current = dir
        while current.count > base.count {
            levels.append(current)
            guard let slash = current.lastIndex(of: "/") else { break }
            current = String(current[..<slash])
        }
        for level in levels.reversed() {
            let parent = String(level[..<level.lastIndex(of: "/")!])
            for file in ["cpuset.cpus", "cpuset.mems"] {
                let mine = FS.readTrimmed(level + "/" + file) ?? ""
                if mine.isEmpty, let theirs = FS.readTrimmed(parent + "/" + file), !theirs.isEmpty {
                    try FS.write(level + "/" + file, theirs)
                }
            }
        }
    }
}
