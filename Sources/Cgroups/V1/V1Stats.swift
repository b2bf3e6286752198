import Glibc

/// v1 accounting: cpuacct, cpu.stat, memory (and memsw), pids; OOM kills from memory.oom_control.
enum V1Stats {
    static func collect(_ m: V1Manager) -> CgroupStats {
        var s = CgroupStats()
        if let dir = m.directory("cpuacct") {
            s.cpuTotal = FS.readUInt(dir + "/cpuacct.usage")
            s.cpuPerCPU = (FS.readTrimmed(dir + "/cpuacct.usage_percpu") ?? "").split(separator: " ").compactMap { UInt64($0) }
            // cpuacct.stat is in USER_HZ ticks.
            let tick = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
            for (key, value) in FS.readKeyed(dir + "/cpuacct.stat") {
                if key == "user" { s.cpuUser = value * (1_000_000_000 / tick) }
                if key == "system" { s.cpuKernel = value * (1_000_000_000 / tick) }
            }
        }
        if let dir = m.directory("cpu") {
            for (key, value) in FS.readKeyed(dir + "/cpu.stat") {
                switch key {
                case "nr_periods": s.throttlingPeriods = value
                case "nr_throttled": s.throttledPeriods = value
                case "throttled_time": s.throttledTime = value
                default: break
                }
            }
        }
        if let dir = m.directory("memory") {
            s.memory = entry(dir, "memory")
            if FS.readUInt(dir + "/memory.memsw.usage_in_bytes") != nil { s.swap = entry(dir, "memory.memsw") }
            s.memoryRaw = FS.readKeyed(dir + "/memory.stat")
            s.oomKills = oomKills(dir)
        }
        if let dir = m.directory("pids") {
            s.pidsCurrent = FS.readUInt(dir + "/pids.current")
            s.pidsLimit = FS.readUInt(dir + "/pids.max")
        }
        if let dir = m.directory("blkio"), let text = try? FS.read(dir + "/blkio.throttle.io_service_bytes_recursive"),
           let (r, w) = IOBytes.parseV1(text) {
            (s.ioReadBytes, s.ioWriteBytes) = (r, w)
        }
        // Hybrid hosts: the container's cgroup2 directory (made for hugetlb) has PSI files.
        if let u = m.unifiedDirectory { s.pressure = FS.pressure(u) }
        return s
    }

    /// memory.usage_in_bytes, max_usage_in_bytes, limit_in_bytes, failcnt (prefix "memory" or "memory.memsw").
    static func entry(_ dir: String, _ prefix: String) -> CgroupStats.MemoryEntry? {
        guard let usage = FS.readUInt("\(dir)/\(prefix).usage_in_bytes") else { return nil }
        var e = CgroupStats.MemoryEntry()
        e.usage = usage
        e.max = FS.readUInt("\(dir)/\(prefix).max_usage_in_bytes") ?? 0
        e.limit = FS.readUInt("\(dir)/\(prefix).limit_in_bytes") ?? 0
        e.failcnt = FS.readUInt("\(dir)/\(prefix).failcnt") ?? 0
        return e
    }

    /// `oom_kill N` of memory.oom_control (kernel 4.13+); nil on older kernels or without the directory.
    static func oomKills(_ dir: String) -> UInt64? {
        FS.readKeyed(dir + "/memory.oom_control").first(where: { $0.key == "oom_kill" })?.value
    }
}
