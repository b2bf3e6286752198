import JSON

/// One accounting snapshot of a container's cgroup(s). nil = the controller or knob is not there.
/// Times are nanoseconds, sizes bytes, as in runc's libcontainer stats.
public struct CgroupStats: Sendable, Equatable {
    public struct MemoryEntry: Sendable, Equatable {
        public var usage: UInt64 = 0
        public var max: UInt64 = 0
        public var limit: UInt64 = 0
        public var failcnt: UInt64 = 0
        public init() {}
    }

    public var cpuTotal: UInt64?
    public var cpuUser: UInt64?
    public var cpuKernel: UInt64?
    public var cpuPerCPU: [UInt64] = []
    public var throttlingPeriods: UInt64?
    public var throttledPeriods: UInt64?
    public var throttledTime: UInt64?
    public var memory: MemoryEntry?
    public var swap: MemoryEntry?
    /// memory.stat, in file order.
    public var memoryRaw: [(key: String, value: UInt64)] = []
    public var pidsCurrent: UInt64?
    /// nil or 0 = unlimited ("max").
    public var pidsLimit: UInt64?
    public var oomKills: UInt64?
    /// Block IO in bytes (v2 io.stat, v1 blkio.throttle.io_service_bytes_recursive).
    public var ioReadBytes: UInt64?
    public var ioWriteBytes: UInt64?
    /// PSI per resource (cpu, memory, io) from the cgroup2 directory; empty where there is none.
    public var pressure: [(resource: String, pressure: Pressure)] = []

    public init() {}

    public static func == (a: CgroupStats, b: CgroupStats) -> Bool {
        a.cpuTotal == b.cpuTotal && a.cpuUser == b.cpuUser && a.cpuKernel == b.cpuKernel && a.cpuPerCPU == b.cpuPerCPU
            && a.throttlingPeriods == b.throttlingPeriods && a.throttledPeriods == b.throttledPeriods
            && a.throttledTime == b.throttledTime && a.memory == b.memory && a.swap == b.swap
            && a.memoryRaw.map(\.key) == b.memoryRaw.map(\.key) && a.memoryRaw.map(\.value) == b.memoryRaw.map(\.value)
            && a.pidsCurrent == b.pidsCurrent && a.pidsLimit == b.pidsLimit && a.oomKills == b.oomKills
            && a.ioReadBytes == b.ioReadBytes && a.ioWriteBytes == b.ioWriteBytes
            && a.pressure.map(\.resource) == b.pressure.map(\.resource) && a.pressure.map(\.pressure) == b.pressure.map(\.pressure)
    }

    /// The `data` of runc's stats event: `{"cpu":{"usage":{…},"throttling":{…}},"memory":{"usage":{…},…},"pids":{…}}`.
    public var json: JSONValue {
        var usage = JSONObject()
        if let t = cpuTotal { usage["total"] = .int(t) }
        if !cpuPerCPU.isEmpty { usage["percpu"] = .array(cpuPerCPU.map { .int($0) }) }
        usage["kernel"] = .int(cpuKernel ?? 0)
        usage["user"] = .int(cpuUser ?? 0)
        var throttling = JSONObject()
        if let p = throttlingPeriods, p != 0 { throttling["periods"] = .int(p) }
        if let p = throttledPeriods, p != 0 { throttling["throttledPeriods"] = .int(p) }
        if let t = throttledTime, t != 0 { throttling["throttledTime"] = .int(t) }
        func entry(_ e: MemoryEntry) -> JSONValue {
            ["limit": .int(e.limit), "usage": .int(e.usage), "max": .int(e.max), "failcnt": .int(e.failcnt)]
        }
        var memory = JSONObject()
        if let cache = memoryRaw.first(where: { $0.key == "cache" || $0.key == "file" })?.value { memory["cache"] = .int(cache) }
        if let m = self.memory { memory["usage"] = entry(m) }
        if let s = swap { memory["swap"] = entry(s) }
        if !memoryRaw.isEmpty { memory["raw"] = .object(JSONObject(memoryRaw.map { ($0.key, JSONValue.int($0.value)) })) }
        var pids = JSONObject()
        if let c = pidsCurrent { pids["current"] = .int(c) }
        if let l = pidsLimit, l != 0 { pids["limit"] = .int(l) }
        var data = JSONObject()
        data["cpu"] = ["usage": .object(usage), "throttling": .object(throttling)]
        data["memory"] = .object(memory)
        data["pids"] = .object(pids)
        if let o = oomKills { data["oom_kill"] = .int(o) }
        return .object(data)
    }
}
