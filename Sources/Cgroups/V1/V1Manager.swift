import Glibc
import JSON
import Sys

/// The cgroup v1 driver for legacy and hybrid hosts: one directory per mounted controller hierarchy.
/// On hybrid hosts a cgroup2 directory is added only for hugepage limits when no v1 hugetlb hierarchy exists.
struct V1Manager: CgroupManager {
    let inner: InnerPath
    let hierarchies: [V1Hierarchy]
    let unified: UnifiedHierarchy?

    init(inner: InnerPath, hierarchies: [V1Hierarchy], unified: UnifiedHierarchy?) throws(CgroupError) {
        guard !hierarchies.isEmpty else {
            throw CgroupError("no cgroup v1 hierarchy is mounted and /sys/fs/cgroup is not cgroup2")
        }
        self.inner = inner
        self.hierarchies = hierarchies
        self.unified = unified
    }

    var paths: [String] { hierarchies.map { $0.directory(for: inner) } }

    var joinFiles: [String] {
        var files = paths.map { $0 + "/tasks" }
        if let u = unifiedDirectory, Files.isDirectory(u) { files.append(u + "/cgroup.procs") }
        return files
    }

    /// The container's directory in the hierarchy of `controller`, nil if not mounted.
    func directory(_ controller: String) -> String? {
        hierarchies.first(where: { $0.controllers.contains(controller) })?.directory(for: inner)
    }

    /// The directory of a controller the config needs; a clear error if its hierarchy is not mounted.
    func required(_ controller: String, for field: String) throws(CgroupError) -> String {
        guard let dir = directory(controller) else {
            throw CgroupError.field(field, "the \(controller) cgroup v1 controller is not mounted on this host")
        }
        return dir
    }

    /// The cgroup2 directory (hybrid hosts), used only for hugetlb.
    var unifiedDirectory: String? {
        unified.map { inner.absolute ? CgroupPath.join($0.mountPoint, inner.path)
            : CgroupPath.join(CgroupPath.join($0.mountPoint, $0.ownCgroup), inner.path) }
    }

    /// Decodes `linux.resources` and resolves every controller it asks for, before anything is touched.
    func plan(_ json: JSONValue?, devices: Bool = true) throws(CgroupError) -> V1Plan {
        var resources = try Resources(json: json)
        if !devices { resources.devices = nil }
        if let first = resources.unified.first {
            throw CgroupError.field("unified", "is cgroup v2 only, but this host uses cgroup v1 (key \"\(first.key)\")")
        }
        return try V1Plan(self, resources)
    }

    func create(resources json: JSONValue?) throws(CgroupError) {
        let plan = try plan(json)

        var created: [String] = []
        do {
            for h in hierarchies {
                let dir = h.directory(for: inner)
                created += try FS.makeDirectories(dir, below: h.base(for: inner))
                if h.controllers.contains("cpuset") { try V1CPU.inheritCpuset(dir, below: h.base(for: inner)) }
            }
            if let hugetlb = plan.unifiedHugetlb {
                created += try FS.makeDirectories(hugetlb.dir, below: hugetlb.base)
            }
            try plan.apply()
        } catch {
            for dir in created.reversed() { rmdir(dir) }
            throw error
        }
    }

    func openLeafForClone() -> Int32? { nil }

    func addProcess(_ pid: Int32) throws(CgroupError) {
        for dir in paths { try FS.write(dir + "/cgroup.procs", String(pid)) }
        if let u = unifiedDirectory, Files.isDirectory(u), FS.isCgroupFS(u) {
            try FS.write(u + "/cgroup.procs", String(pid))
        }
    }

    func pids() -> [Int32] {
        var all: Set<Int32> = []
        for dir in paths + [unifiedDirectory].compactMap({ $0 }) { all.formUnion(CgroupTree.pids(dir)) }
        return all.sorted()
    }

    func freeze(_ frozen: Bool) throws(CgroupError) {
        guard let dir = directory("freezer") else {
            throw CgroupError("freeze: the freezer cgroup v1 controller is not mounted on this host")
        }
        try V1Freezer.set(dir, frozen: frozen)
    }

    var isFrozen: Bool {
        guard let dir = directory("freezer") else { return false }
        return FS.readTrimmed(dir + "/freezer.state") == "FROZEN"
    }

    func update(resources json: JSONValue?) throws(CgroupError) {
        let plan = try plan(json, devices: false)
        for dir in paths where !Files.isDirectory(dir) {
            throw CgroupError("update: the container's cgroup \(dir) does not exist")
        }
        try plan.apply()
    }

    func stats() -> CgroupStats { V1Stats.collect(self) }

    func oomKillCount() -> UInt64? { directory("memory").flatMap { V1Stats.oomKills($0) } }

    func destroy(killFirst: Bool) throws(CgroupError) {
        // A stopped container's cgroups go with one rmdir each; only what is busy (processes
        // or child cgroups) gets the freeze, the kills and the retries.
        let busy = (paths + [unifiedDirectory].compactMap({ $0 })).filter { FS.isCgroupFS($0) && rmdir($0) != 0 && errno != ENOENT }
        if busy.isEmpty { return }
        if killFirst { killAll() }
        var firstError: CgroupError?
        for dir in busy {
            do {
                try CgroupTree.remove(dir, beforeRetry: { if killFirst { CgroupTree.kill(CgroupTree.pids(dir)) } })
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }

    /// runc's signalAllProcesses: freeze so nothing forks away, SIGKILL every pid, thaw so the kills land.
    func killAll() {
        // An empty cgroup gains no process but by an explicit move: nothing to freeze.
        if pids().isEmpty { return }
        let freezer = directory("freezer").flatMap { Files.isDirectory($0) ? $0 : nil }
        if let freezer { try? V1Freezer.set(freezer, frozen: true) }
        CgroupTree.kill(pids())
        if let freezer { try? V1Freezer.set(freezer, frozen: false) }
    }
}

/// Every controller directory and setting of one create, resolved up front.
struct V1Plan {
    let manager: V1Manager
    let resources: Resources
    /// Hybrid hosts: hugepage limits in the cgroup2 hierarchy (no v1 hugetlb mounted).
    var unifiedHugetlb: (dir: String, base: String)?

    init(_ manager: V1Manager, _ resources: Resources) throws(CgroupError) {
        self.manager = manager
        self.resources = resources
        if resources.memory != nil { _ = try manager.required("memory", for: "memory") }
        if let cpu = resources.cpu {
            if cpu.cpus != nil || cpu.mems != nil { _ = try manager.required("cpuset", for: "cpu.cpus") }
            if cpu.shares != nil || cpu.quota != nil || cpu.period != nil || cpu.burst != nil
                || cpu.realtimeRuntime != nil || cpu.realtimePeriod != nil || cpu.idle != nil {
                _ = try manager.required("cpu", for: "cpu")
            }
        }
        if resources.pidsLimit != nil { _ = try manager.required("pids", for: "pids.limit") }
        if resources.blockIO != nil { _ = try manager.required("blkio", for: "blockIO") }
        if let net = resources.network {
            if net.classID != nil { _ = try manager.required("net_cls", for: "network.classID") }
            if !net.priorities.isEmpty { _ = try manager.required("net_prio", for: "network.priorities") }
        }
        if resources.devices != nil { _ = try manager.required("devices", for: "devices") }
        if !resources.rdma.isEmpty { _ = try manager.required("rdma", for: "rdma") }
        if !resources.hugepageLimits.isEmpty && manager.directory("hugetlb") == nil {
            unifiedHugetlb = try V1Hugetlb.unifiedTarget(manager)
        }
    }

    func apply() throws(CgroupError) {
        if let memory = resources.memory, let dir = manager.directory("memory") { try V1Memory.apply(memory, dir) }
        if let cpu = resources.cpu {
            if let dir = manager.directory("cpu") { try V1CPU.apply(cpu, dir) }
            if let dir = manager.directory("cpuset") { try V1CPU.applyCpuset(cpu, dir) }
        }
        if let limit = resources.pidsLimit, let dir = manager.directory("pids") { try V1Pids.apply(limit, dir) }
        if let io = resources.blockIO, let dir = manager.directory("blkio") { try V1BlockIO.apply(io, dir) }
        if !resources.hugepageLimits.isEmpty {
            if let dir = manager.directory("hugetlb") {
                try V1Hugetlb.apply(resources.hugepageLimits, dir)
            } else if let target = unifiedHugetlb {
                try V1Hugetlb.applyUnified(resources.hugepageLimits, target.dir)
            }
        }
        if let net = resources.network { try V1Network.apply(net, manager) }
        if let rules = resources.devices, let dir = manager.directory("devices") { try V1Devices.apply(rules, dir) }
        if !resources.rdma.isEmpty, let dir = manager.directory("rdma") { try Knob.rdma(resources.rdma, dir) }
    }
}

/// Writes with a check that optional knobs exist, naming the config field when they do not.
enum Knob {
    /// Writes `value` to `dir/file`; if the knob does not exist, a field error saying so.
    static func set(_ dir: String, _ file: String, _ value: String, field: String) throws(CgroupError) {
        let path = dir + "/" + file
        do {
            try FS.write(path, value)
        } catch {
            // Asked after the write, not before: nearly every knob exists, and a check cost a
            // syscall per knob (a container's device rules alone are a dozen).
            if error.errno == ENOENT {
                throw CgroupError.field(field, "\(path) does not exist (this kernel or hierarchy does not support it)")
            }
            throw error
        }
    }

    /// rdma.max lines "mlx4_0 hca_handle=2 hca_object=2000" (same format on v1 and v2).
    static func rdma(_ entries: [Resources.RDMA], _ dir: String) throws(CgroupError) {
        for e in entries {
            var line = e.device
            if let h = e.hcaHandles { line += " hca_handle=\(h)" }
            if let o = e.hcaObjects { line += " hca_object=\(o)" }
            if e.hcaHandles == nil && e.hcaObjects == nil { continue }
            try set(dir, "rdma.max", line, field: "rdma.\(e.device)")
        }
    }
}

/// Walks a cgroup directory and its children (nested cgroups made inside a container).
enum CgroupTree {
    static func subdirectories(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { out.append(dir + "/" + name) }
        }
        return out
    }

    static func pids(_ dir: String) -> [Int32] {
        var out = FS.procs(dir)
        for sub in subdirectories(dir) { out += pids(sub) }
        return out
    }

    static func kill(_ pids: [Int32]) {
        for pid in pids where pid > 0 { Glibc.kill(pid, SIGKILL) }
    }

    /// Removes `dir` and any child cgroups, deepest first.
    static func remove(_ dir: String, beforeRetry: () -> Void) throws(CgroupError) {
        // Few containers make cgroups of their own: rmdir before listing the directory.
        if rmdir(dir) == 0 || errno == ENOENT { return }
        for sub in subdirectories(dir) { try remove(sub, beforeRetry: beforeRetry) }
        try FS.removeDirectory(dir, beforeRetry: beforeRetry)
    }
}
