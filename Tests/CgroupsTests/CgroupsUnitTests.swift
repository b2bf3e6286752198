import JSON
import Testing
@testable import Cgroups

/// Value conversions, path resolution and decoding: no root, no cgroup filesystem needed.
@Suite struct CgroupsUnitTests {
    @Test func cpuSharesToWeight() {
        #expect(Convert.cpuWeight(shares: 2) == 1)
        #expect(Convert.cpuWeight(shares: 1024) == 39)
        #expect(Convert.cpuWeight(shares: 262_144) == 10_000)
        #expect(Convert.cpuWeight(shares: 1) == 1)          // clamped to the v1 minimum
        #expect(Convert.cpuWeight(shares: 1_000_000) == 10_000)
        #expect(Convert.cpuWeight(shares: 0) == 0)          // unset
    }

    @Test func blkioWeightToIOWeight() {
        #expect(Convert.ioWeight(blkioWeight: 10) == 1)
        #expect(Convert.ioWeight(blkioWeight: 500) == 4950)
        #expect(Convert.ioWeight(blkioWeight: 1000) == 10_000)
        #expect(Convert.ioWeight(blkioWeight: 0) == 0)
    }

    @Test func swapConversion() throws {
        #expect(try Convert.swapMax(swap: nil, limit: nil) == nil)
        #expect(try Convert.swapMax(swap: nil, limit: 100) == nil)
        #expect(try Convert.swapMax(swap: 300, limit: 100) == 200)
        #expect(try Convert.swapMax(swap: 100, limit: 100) == 0)
        #expect(try Convert.swapMax(swap: -1, limit: 100) == -1)
        #expect(try Convert.swapMax(swap: nil, limit: -1) == -1)
        #expect(throws: CgroupError.self) { try Convert.swapMax(swap: 50, limit: 100) }
        do {
            _ = try Convert.swapMax(swap: 100, limit: nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "linux.resources.memory.swap")
            #expect(error.description.hasPrefix("linux.resources.memory.swap: "))
        }
        #expect(Convert.v2Limit(-1) == "max")
        #expect(Convert.v2Limit(4096) == "4096")
    }

    @Test func cpuMax() {
        #expect(Convert.cpuMax(quota: 50_000, period: 100_000) == "50000 100000")
        #expect(Convert.cpuMax(quota: 20_000, period: nil) == "20000")
        #expect(Convert.cpuMax(quota: -1, period: nil) == "max")
        #expect(Convert.cpuMax(quota: nil, period: 200_000) == "max 200000")
        #expect(Convert.cpuMax(quota: nil, period: nil) == nil)
        #expect(Convert.cpuMax(quota: 0, period: 0) == nil)
    }

    @Test func ioMaxLines() {
        #expect(V2IO.ioMaxLine(.init(major: 8, minor: 0, rate: 1_048_576), "rbps") == "8:0 rbps=1048576")
        #expect(V2IO.ioMaxLine(.init(major: 254, minor: 0, rate: 0), "wiops") == "254:0 wiops=max")
    }

    @Test func innerPaths() throws {
        #expect(try CgroupPath.inner(cgroupsPath: nil, containerID: "abc") == InnerPath(path: "abc", absolute: false))
        #expect(try CgroupPath.inner(cgroupsPath: "", containerID: "abc") == InnerPath(path: "abc", absolute: false))
        #expect(try CgroupPath.inner(cgroupsPath: "/machine/c1", containerID: "x") == InnerPath(path: "machine/c1", absolute: true))
        #expect(try CgroupPath.inner(cgroupsPath: "a//b/./c/", containerID: "x") == InnerPath(path: "a/b/c", absolute: false))
        // ".." cannot climb above the base.
        #expect(try CgroupPath.inner(cgroupsPath: "../../etc/x", containerID: "x") == InnerPath(path: "etc/x", absolute: false))
        #expect(try CgroupPath.inner(cgroupsPath: "/a/../../b", containerID: "x") == InnerPath(path: "b", absolute: true))
        #expect(throws: CgroupError.self) { try CgroupPath.inner(cgroupsPath: "/", containerID: "x") }
        #expect(throws: CgroupError.self) { try CgroupPath.inner(cgroupsPath: "system.slice:husk:abc", containerID: "x") }
    }

    static let mountinfo = """
        25 30 0:22 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755
        26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate
        27 25 0:24 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,xattr,name=systemd
        28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw shared:12 - cgroup cgroup rw,cpu,cpuacct
        29 25 0:26 / /sys/fs/cgroup/memory rw shared:13 - cgroup cgroup rw,memory
        30 25 0:27 /outer /sys/fs/cgroup/pids rw shared:14 - cgroup cgroup rw,pids
        31 25 0:28 / /mnt/with\\040space rw shared:15 - cgroup cgroup rw,freezer
        32 25 0:29 / /other/memory rw shared:16 - cgroup cgroup rw,memory
        """
    static let procCgroup = """
        12:freezer:/
        11:pids:/outer/inner
        5:memory:/process_api/abc
        4:cpu,cpuacct:/user.slice
        1:name=systemd:/init.scope
        0::/init.scope
        """

    @Test func hierarchiesFromMountinfo() {
        let hs = Proc.v1Hierarchies(mountinfo: Self.mountinfo, procCgroup: Self.procCgroup)
        #expect(hs == [
            V1Hierarchy(controllers: ["cpu", "cpuacct"], mountPoint: "/sys/fs/cgroup/cpu,cpuacct", ownCgroup: "/user.slice"),
            V1Hierarchy(controllers: ["memory"], mountPoint: "/sys/fs/cgroup/memory", ownCgroup: "/process_api/abc"),
            V1Hierarchy(controllers: ["pids"], mountPoint: "/sys/fs/cgroup/pids", ownCgroup: "/inner"),
            V1Hierarchy(controllers: ["freezer"], mountPoint: "/mnt/with space", ownCgroup: "/"),
        ])
        #expect(Proc.unifiedHierarchy(mountinfo: Self.mountinfo, procCgroup: Self.procCgroup)
                == UnifiedHierarchy(mountPoint: "/sys/fs/cgroup/unified", ownCgroup: "/init.scope"))
        #expect(Proc.ownCgroupV2(procCgroup: "0::/a/b\n") == "/a/b")
    }

    @Test func directoriesPerHierarchy() {
        let memory = V1Hierarchy(controllers: ["memory"], mountPoint: "/sys/fs/cgroup/memory", ownCgroup: "/process_api/abc")
        let relative = InnerPath(path: "husk/c1", absolute: false)
        let absolute = InnerPath(path: "machine/c1", absolute: true)
        #expect(memory.directory(for: relative) == "/sys/fs/cgroup/memory/process_api/abc/husk/c1")
        #expect(memory.base(for: relative) == "/sys/fs/cgroup/memory/process_api/abc")
        #expect(memory.directory(for: absolute) == "/sys/fs/cgroup/memory/machine/c1")
        #expect(memory.base(for: absolute) == "/sys/fs/cgroup/memory")
        let top = V1Hierarchy(controllers: ["cpu"], mountPoint: "/sys/fs/cgroup/cpu", ownCgroup: "/")
        #expect(top.directory(for: relative) == "/sys/fs/cgroup/cpu/husk/c1")
    }

    @Test func decodesFullResources() throws {
        let json: JSONValue = [
            "memory": ["limit": 67_108_864, "reservation": 1024, "swap": 134_217_728, "swappiness": 10, "disableOOMKiller": true, "kernel": 1],
            "cpu": ["shares": 512, "quota": 50_000, "period": 100_000, "cpus": "0", "mems": "0", "idle": 0],
            "pids": ["limit": 32],
            "blockIO": ["weight": 500, "weightDevice": [["major": 8, "minor": 0, "weight": 100]],
                        "throttleReadBpsDevice": [["major": 8, "minor": 0, "rate": 1_048_576]]],
            "hugepageLimits": [["pageSize": "2MB", "limit": 2_097_152]],
            "network": ["classID": 1_048_577, "priorities": [["name": "eth0", "priority": 5]]],
            "devices": [["allow": false, "access": "rwm"], ["allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"]],
            "unified": ["memory.high": "max"],
        ]
        let r = try Resources(json: json)
        #expect(r.memory?.limit == 67_108_864)
        #expect(r.memory?.disableOOMKiller == true)
        #expect(r.cpu?.shares == 512)
        #expect(r.cpu?.cpus == "0")
        #expect(r.pidsLimit == 32)
        #expect(r.blockIO?.weightDevice == [.init(major: 8, minor: 0, weight: 100, leafWeight: nil)])
        #expect(r.blockIO?.throttleReadBpsDevice == [.init(major: 8, minor: 0, rate: 1_048_576)])
        #expect(r.hugepageLimits == [.init(pageSize: "2MB", limit: 2_097_152)])
        #expect(r.network?.classID == 1_048_577)
        #expect(r.devices?.map(\.v1Line) == ["a *:* rwm", "c 1:3 rw"])
        #expect(r.unified.map(\.key) == ["memory.high"])
        #expect(V2Plan.controllers(r) == ["memory", "cpuset", "cpu", "pids", "io", "hugetlb"])
        #expect(try Resources(json: nil) == Resources())
        #expect(try Resources(json: .null) == Resources())
    }

    @Test func badValuesNameTheField() {
        func message(_ json: JSONValue) -> String? {
            do { _ = try Resources(json: json); return nil } catch { return error.description }
        }
        #expect(message(["memory": ["limit": "1G"]]) == "linux.resources.memory.limit: expected a 64-bit integer, got \"1G\" (stage: cgroups)")
        #expect(message(["pids": ["limit": .number("1.5")]])?.hasPrefix("linux.resources.pids.limit: ") == true)
        #expect(message(["blockIO": ["throttleReadBpsDevice": [["major": 8, "minor": 0]]]]) == "linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required (stage: cgroups)")
        #expect(message(["devices": [["allow": true, "type": "x"]]])?.hasPrefix("linux.resources.devices[0].type: ") == true)
        #expect(message(["hugepageLimits": [["pageSize": "../2MB", "limit": 1]]])?.hasPrefix("linux.resources.hugepageLimits[0].pageSize: ") == true)
        #expect(message(["unified": ["memory.max": 5]])?.hasPrefix("linux.resources.unified.memory.max: ") == true)
        #expect(message(["memory": 5])?.hasPrefix("linux.resources.memory: expected an object") == true)
    }

    @Test func v2RefusesWhatItCannotExpress() throws {
        func check(_ json: JSONValue) -> String? {
            do { try V2Plan.check(try Resources(json: json)); return nil } catch { return error.field }
        }
        #expect(check(["unified": ["../memory.max": "1"]]) == "linux.resources.unified.../memory.max")
        #expect(check(["unified": ["cgroup.procs": "1"]]) == "linux.resources.unified.cgroup.procs")
        #expect(check(["unified": ["memory.high": "1M"]]) == nil)
        #expect(check(["network": ["classID": 1]]) == "linux.resources.network")
        #expect(check(["cpu": ["realtimeRuntime": 1000]]) == "linux.resources.cpu.realtimeRuntime")
        #expect(check(["memory": ["swap": 10, "limit": 100]]) == "linux.resources.memory.swap")
        // Ignored on v2, not refused.
        #expect(check(["memory": ["kernel": 1, "kernelTCP": 1, "disableOOMKiller": true, "swappiness": 0]]) == nil)
        #expect(check(["devices": [["allow": false, "access": "rwm"]]]) == nil)
    }

    @Test func errorText() {
        let e = CgroupError("write", path: "/sys/fs/cgroup/memory/x/memory.limit_in_bytes", errno: 16)
        #expect(e.description == "write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: Device or resource busy (stage: cgroups)")
        #expect(e.errno == 16)
    }

    @Test func devicesForLinuxDevicesAreAllowed() throws {
        let merged = Cgroups.resources(["devices": [["allow": false, "access": "rwm"]]], allowingDevices: [(type: "c", major: 10, minor: 229)])
        let r = try Resources(json: merged)
        #expect(r.devices?.map(\.v1Line) == ["a *:* rwm", "c 10:229 rwm"])
        // No rules in the config still gives a (empty) list: the drivers deny all but the defaults.
        #expect(Cgroups.resources(nil, allowingDevices: []) == ["devices": []])
    }

    @Test func v2ManagerRefusesANonCgroup2Root() {
        #expect(throws: CgroupError.self) {
            try V2Manager(root: "/tmp", inner: InnerPath(path: "x", absolute: false), ownCgroup: "/")
        }
    }

    @Test func v2LeafPlacement() throws {
        // Only constructible on a cgroup2 mount; the layout is what matters here.
        guard let u = Proc.unifiedHierarchy() ?? (Cgroups.version == .v2 ? UnifiedHierarchy(mountPoint: "/sys/fs/cgroup", ownCgroup: "/") : nil) else { return }
        let rel = try V2Manager(root: u.mountPoint, inner: InnerPath(path: "husk/c1", absolute: false), ownCgroup: "/user.slice/session-1.scope")
        #expect(rel.base == u.mountPoint + "/user.slice")
        #expect(rel.leaf == u.mountPoint + "/user.slice/husk/c1")
        let abs = try V2Manager(root: u.mountPoint, inner: InnerPath(path: "machine/c1", absolute: true), ownCgroup: "/user.slice/session-1.scope")
        #expect(abs.base == u.mountPoint)
        #expect(abs.leaf == u.mountPoint + "/machine/c1")
        let top = try V2Manager(root: u.mountPoint, inner: InnerPath(path: "c1", absolute: false), ownCgroup: "/")
        #expect(top.leaf == u.mountPoint + "/c1")
    }
}
