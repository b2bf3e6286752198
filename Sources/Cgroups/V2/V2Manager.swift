import CHusk
import Glibc
import JSON
import Sys

/// The cgroup v2 driver: one leaf directory in the unified hierarchy.
///
/// Device rules (`linux.resources.devices`, plus runc's default allows) become an eBPF
/// BPF_CGROUP_DEVICE program attached to the leaf at create (V2Devices); update leaves it alone, as runc.
struct V2Manager: CgroupManager {
    /// The cgroup2 mount point.
    let root: String
    /// The container's leaf directory.
    let leaf: String
    /// Controllers are enabled from here down to the leaf's parent: the root for absolute paths,
    /// the parent of husk's own cgroup for relative ones (runc: husk's own cgroup already has processes).
    let base: String
    /// Also enable every available controller (runc's behaviour on a v2 host), not only those the config needs.
    let enableAllAvailable: Bool

    static let domainControllers = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]

    init(root: String, inner: InnerPath, ownCgroup: String, enableAllAvailable: Bool = true) throws(CgroupError) {
        guard FS.magic(of: root) == FS.cgroup2Magic else {
            throw CgroupError("\(root) is not a cgroup2 mount; refusing to use it as cgroup v2")
        }
        self.root = root
        self.enableAllAvailable = enableAllAvailable
        if inner.absolute {
            base = root
            leaf = CgroupPath.join(root, inner.path)
        } else {
            let parent = ownCgroup.lastIndex(of: "/").map { String(ownCgroup[..<$0]) } ?? ""
            base = CgroupPath.join(root, parent)
            leaf = CgroupPath.join(base, inner.path)
        }
    }

    var paths: [String] { [leaf] }
    var joinFiles: [String] { [leaf + "/cgroup.procs"] }

    func create(resources json: JSONValue?) throws(CgroupError) {
        let resources = try Resources(json: json)
        try V2Plan.check(resources)
        let created = try FS.makeDirectories(leaf, below: base)
        do {
            try enableControllers(V2Plan.controllers(resources))
            try V2Plan.apply(resources, leaf)
            if let rules = resources.devices { try V2Devices.apply(rules, leaf) }
        } catch {
            for dir in created.reversed() { rmdir(dir) }
            throw error
        }
    }

    func update(resources json: JSONValue?) throws(CgroupError) {
        var resources = try Resources(json: json)
        resources.devices = nil
        // A swap-only update keeps the current memory limit (memory.swap.max = swap - limit).
        if var m = resources.memory, (m.swap ?? 0) != 0, (m.limit ?? 0) == 0 {
            let current = FS.readTrimmed(leaf + "/memory.max")
            m.limit = current == "max" ? -1 : current.flatMap { Int64($0) }
            resources.memory = m
        }
        try V2Plan.check(resources)
        guard Files.isDirectory(leaf) else { throw CgroupError("update: the container's cgroup \(leaf) does not exist") }
        try enableControllers(V2Plan.controllers(resources))
        try V2Plan.apply(resources, leaf)
    }

    var isFrozen: Bool {
        (FS.readTrimmed(leaf + "/cgroup.events") ?? "").split(separator: "\n").contains("frozen 1")
    }

    func stats() -> CgroupStats { V2Stats.collect(leaf) }

    func oomKillCount() -> UInt64? { V2Stats.oomKills(leaf) }

    /// Writes "+controller" into cgroup.subtree_control of base … leaf's parent, where not enabled yet.
    func enableControllers(_ needed: [String]) throws(CgroupError) {
        var dirs: [String] = []
        var current = String(leaf[..<leaf.lastIndex(of: "/")!])
        while current.count >= base.count {
            dirs.append(current)
            guard current.count > base.count, let slash = current.lastIndex(of: "/") else { break }
            current = String(current[..<slash])
        }
        for dir in dirs.reversed() {
            let available = Set((FS.readTrimmed(dir + "/cgroup.controllers") ?? "").split(separator: " ").map(String.init))
            let enabled = Set((FS.readTrimmed(dir + "/cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
            for c in needed where !enabled.contains(c) {
                guard available.contains(c) else {
                    throw CgroupError("the \(c) controller is not available in \(dir)/cgroup.controllers (available: \(available.sorted().joined(separator: " ")))")
                }
                try FS.write(dir + "/cgroup.subtree_control", "+" + c)
            }
            if enableAllAvailable {
                // Best effort, as runc: a controller that cannot be delegated is simply not offered.
                for c in V2Manager.domainControllers where available.contains(c) && !enabled.contains(c) && !needed.contains(c) {
                    try? FS.write(dir + "/cgroup.subtree_control", "+" + c)
                }
            }
        }
    }

    func openLeafForClone() -> Int32? {
        let fd = husk_open_path_dir(leaf)   // O_PATH|O_DIRECTORY|O_CLOEXEC
        return fd >= 0 ? fd : nil
    }

    func addProcess(_ pid: Int32) throws(CgroupError) {
        try FS.write(leaf + "/cgroup.procs", String(pid))
    }

    func pids() -> [Int32] {
        Array(Set(CgroupTree.pids(leaf))).sorted()
    }

    func freeze(_ frozen: Bool) throws(CgroupError) {
        try FS.write(leaf + "/cgroup.freeze", frozen ? "1" : "0")
        let want = frozen ? "frozen 1" : "frozen 0"
        for _ in 0..<2000 {
            let events = try FS.read(leaf + "/cgroup.events")
            if events.split(separator: "\n").contains(where: { $0 == want }) { return }
            usleep(1_000)
        }
        throw CgroupError("\(leaf)/cgroup.events did not show \"\(want)\" within 2 s")
    }

    func destroy(killFirst: Bool) throws(CgroupError) {
        guard Files.isDirectory(leaf), FS.isCgroupFS(leaf) else { return }
        if killFirst { kill() }
        try CgroupTree.remove(leaf, beforeRetry: { if killFirst { kill() } })
    }

    /// cgroup.kill (5.14+) kills the whole subtree at once; otherwise SIGKILL each pid.
    func kill() {
        let knob = leaf + "/cgroup.kill"
        if Files.exists(knob), (try? FS.write(knob, "1")) != nil { return }
        CgroupTree.kill(pids())
    }
}

/// Checks, needed controllers and knob writes for one v2 create.
enum V2Plan {
    /// Settings v2 cannot express, refused before anything is created.
    static func check(_ r: Resources) throws(CgroupError) {
        if let cpu = r.cpu {
            if let rt = cpu.realtimeRuntime, rt != 0 { throw CgroupError.field("cpu.realtimeRuntime", "real-time scheduling limits are not supported on cgroup v2") }
            if let rt = cpu.realtimePeriod, rt != 0 { throw CgroupError.field("cpu.realtimePeriod", "real-time scheduling limits are not supported on cgroup v2") }
        }
        if let net = r.network, net.classID != nil || !net.priorities.isEmpty {
            throw CgroupError.field("network", "net_cls/net_prio are cgroup v1 only; this host uses cgroup v2")
        }
        if let m = r.memory, let s = m.swappiness, s > 100 {
            throw CgroupError.field("memory.swappiness", "must be 0-100, got \(s)")
        }
        for (key, _) in r.unified {
            guard !key.isEmpty, !key.contains("/"), key != ".", key != ".." else {
                throw CgroupError.field("unified.\(key)", "is not a cgroup file name")
            }
            guard key.contains("."), !key.hasPrefix("cgroup.") || ["cgroup.max.depth", "cgroup.max.descendants", "cgroup.type"].contains(key) else {
                throw CgroupError.field("unified.\(key)", "is not a settable cgroup v2 knob")
            }
        }
        _ = try Convert.swapMax(swap: r.memory?.swap, limit: r.memory?.limit)
    }

    /// The controllers to delegate down to the leaf.
    static func controllers(_ r: Resources) -> [String] {
        var out: [String] = []
        func add(_ c: String) { if !out.contains(c) { out.append(c) } }
        if let m = r.memory, (m.limit ?? 0) != 0 || (m.reservation ?? 0) != 0 || (m.swap ?? 0) != 0 { add("memory") }
        if let c = r.cpu {
            if (c.cpus ?? "") != "" || (c.mems ?? "") != "" { add("cpuset") }
            if (c.shares ?? 0) != 0 || (c.quota ?? 0) != 0 || (c.period ?? 0) != 0 || c.burst != nil || c.idle != nil { add("cpu") }
        }
        if let p = r.pidsLimit, p != 0 { add("pids") }
        if let io = r.blockIO, (io.weight ?? 0) != 0 || !io.weightDevice.isEmpty || !io.throttleReadBpsDevice.isEmpty
            || !io.throttleWriteBpsDevice.isEmpty || !io.throttleReadIOPSDevice.isEmpty || !io.throttleWriteIOPSDevice.isEmpty { add("io") }
        if !r.hugepageLimits.isEmpty { add("hugetlb") }
        if !r.rdma.isEmpty { add("rdma") }
        for (key, _) in r.unified {
            let prefix = String(key.prefix(while: { $0 != "." }))
            if V2Manager.domainControllers.contains(prefix) { add(prefix) }
        }
        return out
    }

    static func apply(_ r: Resources, _ leaf: String) throws(CgroupError) {
        if let m = r.memory { try V2Memory.apply(m, leaf) }
        if let c = r.cpu { try V2CPU.apply(c, leaf) }
        if let p = r.pidsLimit { try V2Pids.apply(p, leaf) }
        if let io = r.blockIO { try V2IO.apply(io, leaf) }
        if !r.hugepageLimits.isEmpty { try V2Hugetlb.apply(r.hugepageLimits, leaf) }
        if !r.rdma.isEmpty { try Knob.rdma(r.rdma, leaf) }
        // Last, so an explicit unified value wins over a converted one.
        try V2Unified.apply(r.unified, leaf)
    }
}
