/// v2 accounting: cpu.stat (µs → ns), memory.current/max/peak/events, swap, pids; OOM kills from memory.events.
enum V2Stats {
    static func collect(_ leaf: String) -> CgroupStats {
        var s = CgroupStats()
        for (key, value) in FS.readKeyed(leaf + "/cpu.stat") {
            switch key {
            case "usage_usec": s.cpuTotal = value * 1000
            case "user_usec": s.cpuUser = value * 1000
            case "system_usec": s.cpuKernel = value * 1000
            case "nr_periods": s.throttlingPeriods = value
            case "nr_throttled": s.throttledPeriods = value
            case "throttled_usec": s.throttledTime = value * 1000
            default: break
            }
        }
        if let usage = FS.readUInt(leaf + "/memory.current") {
            var e = CgroupStats.MemoryEntry()
            e.usage = usage
            e.max = FS.readUInt(leaf + "/memory.peak") ?? 0
            // "max" reads as unlimited, as runc reports it.
            e.limit = FS.readUInt(leaf + "/memory.max") ?? UInt64(Int64.max)
            e.failcnt = events(leaf).first(where: { $0.key == "max" })?.value ?? 0
            s.memory = e
            s.memoryRaw = FS.readKeyed(leaf + "/memory.stat")
            s.oomKills = oomKills(leaf)
        }
        if let swap = FS.readUInt(leaf + "/memory.swap.current") {
            var e = CgroupStats.MemoryEntry()
            e.usage = swap
            e.max = FS.readUInt(leaf + "/memory.swap.peak") ?? 0
            e.limit = FS.readUInt(leaf + "/memory.swap.max") ?? UInt64(Int64.max)
            s.swap = e
        }
        s.pidsCurrent = FS.readUInt(leaf + "/pids.current")
        s.pidsLimit = FS.readUInt(leaf + "/pids.max")
        if let text = try? FS.read(leaf + "/io.stat") { (s.ioReadBytes, s.ioWriteBytes) = IOBytes.parseV2(text) }
        s.pressure = FS.pressure(leaf)
        return s
    }

    static func events(_ leaf: String) -> [(key: String, value: UInt64)] { FS.readKeyed(leaf + "/memory.events") }

    /// `oom_kill N` of memory.events (the leaf and its descendants); nil without the memory controller.
    static func oomKills(_ leaf: String) -> UInt64? {
        events(leaf).first(where: { $0.key == "oom_kill" })?.value
    }
}
