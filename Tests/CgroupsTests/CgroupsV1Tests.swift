import Glibc
import JSON
import Sys
import Testing
@testable import Cgroups

/// Root integration tests on this host's cgroup v1 hierarchies, each under the test's own cgroup.
/// Every directory is removed again, pass or fail.
@Suite(.enabled(if: Support.v1HostReady, "needs root on a cgroup v1/hybrid host with memory, pids, cpu, cpuset, devices and freezer mounted"))
struct CgroupsV1Tests {
    @Test func limitsProcessesFreezeAndDestroy() throws {
        let name = Support.uniqueName("v1")
        let manager = try Cgroups.manager(cgroupsPath: name, containerID: "ignored")
        let hierarchies = try Proc.v1Hierarchies()
        defer { Support.removeCgroupDirs(manager.paths) }
        #expect(manager.openLeafForClone() == nil)
        #expect(manager.paths.count == hierarchies.count)

        let resources: JSONValue = [
            "memory": ["limit": 67_108_864, "reservation": 33_554_432, "swappiness": 10, "disableOOMKiller": true, "kernel": 1],
            "pids": ["limit": 32],
            "cpu": ["shares": 512, "quota": 50_000, "period": 100_000],
        ]
        try manager.create(resources: resources)
        try manager.create(resources: resources)   // idempotent on existing directories

        func dir(_ controller: String) -> String {
            let h = hierarchies.first { $0.controllers.contains(controller) }!
            return h.directory(for: InnerPath(path: name, absolute: false))
        }
        #expect(manager.paths.contains(dir("memory")))
        #expect(Support.knob(dir("memory") + "/memory.limit_in_bytes") == "67108864")
        #expect(Support.knob(dir("memory") + "/memory.soft_limit_in_bytes") == "33554432")
        #expect(Support.knob(dir("memory") + "/memory.swappiness") == "10")
        #expect(Support.knob(dir("memory") + "/memory.oom_control")?.contains("oom_kill_disable 1") == true)
        #expect(Support.knob(dir("pids") + "/pids.max") == "32")
        #expect(Support.knob(dir("cpu") + "/cpu.shares") == "512")
        #expect(Support.knob(dir("cpu") + "/cpu.cfs_quota_us") == "50000")
        #expect(Support.knob(dir("cpu") + "/cpu.cfs_period_us") == "100000")
        // The new cpuset was filled from its parent, so tasks can join it.
        #expect(Support.knob(dir("cpuset") + "/cpuset.cpus")?.isEmpty == false)

        let sleeper = Support.spawnSleeper()
        defer { Support.killAndReap(sleeper) }
        try manager.addProcess(sleeper)
        #expect(manager.pids() == [sleeper])
        for d in manager.paths { #expect(FS.procs(d) == [sleeper], "\(d)") }
        let cgroupFile = try Files.readString("/proc/\(sleeper)/cgroup")
        #expect(cgroupFile.contains(name))

        try manager.freeze(true)
        #expect(Support.knob(dir("freezer") + "/freezer.state") == "FROZEN")
        try manager.freeze(false)
        #expect(Support.knob(dir("freezer") + "/freezer.state") == "THAWED")

        try manager.destroy(killFirst: true)
        #expect(Support.reap(sleeper) == SIGKILL)
        for d in manager.paths { #expect(!Files.exists(d), "\(d) should be gone") }
        try manager.destroy(killFirst: true)   // nothing left: still fine
    }

    @Test func nestedRelativePathAndDevices() throws {
        let top = Support.uniqueName("nest")
        let manager = try Cgroups.manager(cgroupsPath: top + "/inner", containerID: "x")
        let parents = manager.paths.map { String($0.dropLast("/inner".count)) }
        defer { Support.removeCgroupDirs(manager.paths + parents) }

        try manager.create(resources: ["devices": [["allow": false, "access": "rwm"], ["allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"]]])
        for d in manager.paths { #expect(Files.isDirectory(d)) }
        let devices = manager.paths.first { $0.contains("/devices/") }!
        let list = (Support.knob(devices + "/devices.list") ?? "").split(separator: "\n").map(String.init)
        #expect(list.contains("c 10:229 rw"))
        #expect(list.contains("c 1:3 rwm"))       // runc's default allow list follows the config's rules
        #expect(!list.contains("a *:* rwm"))
        try manager.destroy(killFirst: false)
        for d in manager.paths { #expect(!Files.exists(d)) }
        for d in parents { #expect(Files.isDirectory(d)) }   // only the leaf is the container's
    }

    @Test func failedApplyRemovesWhatItCreated() throws {
        let manager = try Cgroups.manager(cgroupsPath: Support.uniqueName("fail"), containerID: "x")
        defer { Support.removeCgroupDirs(manager.paths) }
        do {
            try manager.create(resources: ["cpu": ["cpus": "4096-4097"]])
            Issue.record("an impossible cpuset was accepted")
        } catch {
            #expect(error.description.hasPrefix("write /sys/fs/cgroup/cpuset/"), "\(error)")
            #expect(error.description.contains("/cpuset.cpus: "), "\(error)")
            #expect(error.description.hasSuffix(" (stage: cgroups)"))
        }
        for d in manager.paths { #expect(!Files.exists(d), "\(d) left behind") }
    }

    @Test func refusalsNameTheFieldAndCreateNothing() throws {
        let manager = try Cgroups.manager(cgroupsPath: Support.uniqueName("refuse"), containerID: "x")
        defer { Support.removeCgroupDirs(manager.paths) }
        func field(_ json: JSONValue) -> String? {
            do { try manager.create(resources: json); return nil } catch { return error.field }
        }
        #expect(field(["unified": ["memory.max": "1M"]]) == "linux.resources.unified")
        #expect(field(["memory": ["swappiness": 101]]) == "linux.resources.memory.swappiness")
        let hs = Set(try Proc.v1Hierarchies().flatMap(\.controllers))
        if !hs.contains("net_cls") {
            #expect(field(["network": ["classID": 1]]) == "linux.resources.network.classID")
        }
        if !hs.contains("hugetlb") {
            // Here only the hybrid cgroup2 hierarchy has hugetlb, and husk does not delegate it on the host.
            let unified = Proc.unifiedHierarchy()
            let delegated = unified.map { (Support.knob($0.mountPoint + "/cgroup.subtree_control") ?? "").contains("hugetlb") } ?? false
            if !delegated {
                #expect(field(["hugepageLimits": [["pageSize": "2MB", "limit": 2_097_152]]]) == "linux.resources.hugepageLimits")
            }
        }
        for d in manager.paths { #expect(!Files.exists(d), "\(d) left behind") }
    }
}

/// On this host /sys/fs/cgroup is a writable tmpfs: prove no code path writes v2 knobs there as plain files.
@Suite(.enabled(if: Support.isRoot && Cgroups.version == .v1 && FS.magic(of: Cgroups.root) != nil, "needs root on a host whose /sys/fs/cgroup is not cgroup2"))
struct CgroupsTmpfsTests {
    static let v2Knobs: Set<String> = ["memory.max", "memory.low", "memory.swap.max", "memory.high", "pids.max", "cpu.max",
                                       "cpu.weight", "cpu.max.burst", "cpu.idle", "io.max", "io.weight", "cgroup.procs",
                                       "cgroup.freeze", "cgroup.kill", "cgroup.subtree_control", "cpuset.cpus", "hugetlb.2MB.max"]

    /// Files on the tmpfs itself (not inside the cgroup mounts below it), as relative paths.
    static func tmpfsEntries(_ dir: String = Cgroups.root, _ prefix: String = "") -> [String] {
        var out: [String] = []
        for name in Files.listDirectory(dir) {
            let path = dir + "/" + name
            if FS.isCgroupFS(path) { continue }   // a cgroup mount point: not the tmpfs
            out.append(prefix + name)
            if Files.isDirectory(path) { out += tmpfsEntries(path, prefix + name + "/") }
        }
        return out
    }

    @Test func nothingLandsOnTheTmpfs() throws {
        #expect(FS.magic(of: Cgroups.root) != FS.cgroup2Magic)
        let before = Self.tmpfsEntries()

        // A v2 driver pointed at the tmpfs refuses at once.
        #expect(throws: CgroupError.self) {
            try V2Manager(root: Cgroups.root, inner: InnerPath(path: "husk-tmpfs-probe", absolute: true), ownCgroup: "/")
        }
        // Creating directories below a non-cgroup base is refused too.
        #expect(throws: CgroupError.self) { try FS.makeDirectories(Cgroups.root + "/husk-tmpfs-probe", below: Cgroups.root) }
        // Knob writes never create files.
        #expect(throws: CgroupError.self) { try FS.write(Cgroups.root + "/memory.max", "1") }

        // The public factory with every kind of resource: v1 knobs inside the hierarchies, nothing on the tmpfs.
        let manager = try Cgroups.manager(cgroupsPath: Support.uniqueName("tmpfs"), containerID: "x")
        defer { Support.removeCgroupDirs(manager.paths) }
        for d in manager.paths { #expect(!Files.exists(d)) }
        try? manager.create(resources: ["memory": ["limit": 67_108_864, "swap": 134_217_728], "pids": ["limit": 10],
                                        "cpu": ["shares": 100], "unified": ["memory.max": "1M"]])
        try? manager.create(resources: ["memory": ["limit": 67_108_864], "pids": ["limit": 10], "cpu": ["shares": 100],
                                        "blockIO": ["weight": 100], "hugepageLimits": [["pageSize": "2MB", "limit": 0]]])
        try manager.create(resources: ["memory": ["limit": 67_108_864], "pids": ["limit": 10], "cpu": ["shares": 100]])
        for d in manager.paths { #expect(FS.magic(of: d) == FS.cgroup1Magic, "\(d) must be on a cgroup v1 mount") }
        _ = manager.pids()
        try manager.freeze(true)
        try manager.freeze(false)
        try manager.destroy(killFirst: true)

        let after = Self.tmpfsEntries()
        #expect(after == before)
        let stray = after.filter { Self.v2Knobs.contains(String($0.split(separator: "/").last ?? "")) }
        #expect(stray.isEmpty, "plain files on the /sys/fs/cgroup tmpfs: \(stray)")
    }
}
