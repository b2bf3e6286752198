/// v2 cpu and cpuset: cpu.weight (from shares), cpu.max, cpu.max.burst, cpu.idle, cpuset.cpus/mems.
enum V2CPU {
    static func apply(_ c: Resources.CPU, _ leaf: String) throws(CgroupError) {
        if let s = c.shares, s != 0 { try Knob.set(leaf, "cpu.weight", String(Convert.cpuWeight(shares: s)), field: "cpu.shares") }
        if let max = Convert.cpuMax(quota: c.quota, period: c.period) { try Knob.set(leaf, "cpu.max", max, field: "cpu.quota") }
        if let b = c.burst { try Knob.set(leaf, "cpu.max.burst", String(b), field: "cpu.burst") }
        if let i = c.idle { try Knob.set(leaf, "cpu.idle", String(i), field: "cpu.idle") }
        if let cpus = c.cpus, !cpus.isEmpty { try Knob.set(leaf, "cpuset.cpus", cpus, field: "cpu.cpus") }
        if let mems = c.mems, !mems.isEmpty { try Knob.set(leaf, "cpuset.mems", mems, field: "cpu.mems") }
    }
}
