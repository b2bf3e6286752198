import CHusk
import Glibc
import JSON
import Sys
import Testing
@testable import Cgroups

enum V2Env {
    /// A real cgroup v2 host (e.g. the ../shared/vm guest) with the resource controllers.
    static var fullHost: Bool {
        guard Support.isRoot, Cgroups.version == .v2 else { return false }
        let controllers = (FS.readTrimmed(Cgroups.root + "/cgroup.controllers") ?? "").split(separator: " ")
        return ["memory", "pids", "cpu"].allSatisfy { controllers.contains(Substring($0)) }
    }

    /// Any cgroup2 mount: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one
    /// (no resource controllers there, but procs, freeze, kill and events work).
    static var anyCgroup2: UnifiedHierarchy? {
        guard Support.isRoot else { return nil }
        if Cgroups.version == .v2, let own = try? Proc.ownCgroupV2() { return UnifiedHierarchy(mountPoint: Cgroups.root, ownCgroup: own) }
        return Proc.unifiedHierarchy()
    }

    static let skipMessage = "needs root on a cgroup v2 host; on a hybrid host run: swift build --build-tests && ../shared/vm/run-in-vm.sh .build/debug/huskPackageTests.xctest --testing-library swift-testing --filter CgroupsV2"
}

/// The v2 driver's core (no resource controllers): runs on any cgroup2 mount, including a hybrid host's
/// /sys/fs/cgroup/unified. Enables no controller there (no resources), so the host tree is not changed.
@Suite(.enabled(if: V2Env.anyCgroup2 != nil, "needs root and a cgroup2 mount"))
struct CgroupsV2CoreTests {
    @Test func processesFreezeKillAndCloneFd() throws {
        let u = V2Env.anyCgroup2!
        let manager = try V2Manager(root: u.mountPoint, inner: InnerPath(path: Support.uniqueName("v2core"), absolute: false),
                                    ownCgroup: u.ownCgroup, enableAllAvailable: false)
        defer { Support.removeCgroupDirs(manager.paths) }
        let before = FS.readTrimmed(manager.base + "/cgroup.subtree_control")
        try manager.create(resources: nil)
        try manager.create(resources: nil)
        #expect(FS.magic(of: manager.leaf) == FS.cgroup2Magic)
        #expect(FS.readTrimmed(manager.base + "/cgroup.subtree_control") == before)

        let fd = try #require(manager.openLeafForClone())
        var st = stat()
        #expect(fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR)
        close(fd)

        let sleeper = Support.spawnSleeper()
        defer { Support.killAndReap(sleeper) }
        try manager.addProcess(sleeper)
        #expect(manager.pids() == [sleeper])
        try manager.freeze(true)
        #expect(try Files.readString(manager.leaf + "/cgroup.events").contains("frozen 1"))
        try manager.freeze(false)
        #expect(try Files.readString(manager.leaf + "/cgroup.events").contains("frozen 0"))

        try manager.destroy(killFirst: true)
        #expect(Support.reap(sleeper) == SIGKILL)
        #expect(!Files.exists(manager.leaf))
    }
}

/// Limits on a real cgroup v2 host; skipped elsewhere.
@Suite(.enabled(if: V2Env.fullHost, "\(V2Env.skipMessage)"))
struct CgroupsV2Tests {
    @Test func limitsAreWrittenAndConverted() throws {
        let manager = try Cgroups.manager(cgroupsPath: "/" + Support.uniqueName("v2"), containerID: "x")
        defer { Support.removeCgroupDirs(manager.paths) }
        let leaf = manager.paths[0]
        try manager.create(resources: [
            "memory": ["limit": 67_108_864, "reservation": 1_048_576, "swap": 100_663_296, "swappiness": 10, "kernel": 1, "disableOOMKiller": true],
            "pids": ["limit": 32],
            "cpu": ["shares": 1024, "quota": 50_000, "period": 100_000],
            "unified": ["memory.high": "50331648"],
            "devices": [["allow": false, "access": "rwm"]],
        ])
        #expect(Support.knob(leaf + "/memory.max") == "67108864")
        #expect(Support.knob(leaf + "/memory.low") == "1048576")
        if Files.exists(leaf + "/memory.swap.max") { #expect(Support.knob(leaf + "/memory.swap.max") == "33554432") }
        #expect(Support.knob(leaf + "/memory.high") == "50331648")
        #expect(Support.knob(leaf + "/pids.max") == "32")
        #expect(Support.knob(leaf + "/cpu.weight") == "39")
        #expect(Support.knob(leaf + "/cpu.max") == "50000 100000")

        let sleeper = Support.spawnSleeper()
        defer { Support.killAndReap(sleeper) }
        try manager.addProcess(sleeper)
        #expect(manager.pids() == [sleeper])
        try manager.freeze(true)
        try manager.freeze(false)
        try manager.destroy(killFirst: true)
        #expect(Support.reap(sleeper) == SIGKILL)
        #expect(!Files.exists(leaf))
    }

    @Test func relativePathEnablesControllersDownToTheLeaf() throws {
        let top = Support.uniqueName("v2rel")
        let manager = try Cgroups.manager(cgroupsPath: top + "/c1", containerID: "x")
        let leaf = manager.paths[0]
        let parent = String(leaf.dropLast("/c1".count))
        defer { Support.removeCgroupDirs([leaf, parent]) }
        try manager.create(resources: ["pids": ["limit": 7], "memory": ["limit": -1]])
        #expect((Support.knob(parent + "/cgroup.subtree_control") ?? "").split(separator: " ").contains("pids"))
        #expect(Support.knob(leaf + "/pids.max") == "7")
        #expect(Support.knob(leaf + "/memory.max") == "max")
        try manager.destroy(killFirst: false)
        #expect(!Files.exists(leaf))
    }

    @Test func badUnifiedKeysAndV1OnlySettingsAreRefused() throws {
        let manager = try Cgroups.manager(cgroupsPath: "/" + Support.uniqueName("v2bad"), containerID: "x")
        defer { Support.removeCgroupDirs(manager.paths) }
        func field(_ json: JSONValue) -> String? {
            do { try manager.create(resources: json); return nil } catch { return error.field }
        }
        #expect(field(["unified": ["memory.nonexistent": "1"]]) == "linux.resources.unified.memory.nonexistent")
        #expect(field(["unified": ["../x.max": "1"]]) == "linux.resources.unified.../x.max")
        #expect(field(["network": ["classID": 1]]) == "linux.resources.network")
        #expect(!Files.exists(manager.paths[0]))
    }
}
