import Foundation
import OCI
import Testing
@testable import Runtime

/// PlanBuilder policy, checked without root: each test builds a small Spec and inspects the plan.
@Suite struct PlanBuilderTests {
    // MARK: helpers

    /// A spec with a mount namespace and a program: the smallest one PlanBuilder accepts.
    static func spec(namespaces: [String] = ["mount"], _ edit: (inout Spec) -> Void = { _ in }) -> Spec {
        var spec = Spec()
        var linux = Linux()
        linux.namespaces = namespaces.map { ns($0) }
        spec.linux = linux
        var process = OCI.Process()
        process.args = ["/bin/true"]
        spec.process = process
        edit(&spec)
        return spec
    }

    static func build(_ spec: Spec, bundle: String = "/bundle", cgroups: HostCgroups? = nil) throws(HuskError) -> LaunchPlan {
        var builder = PlanBuilder(spec: spec, bundle: bundle, rootfs: bundle + "/rootfs")
        if let cgroups { builder.hostCgroups = cgroups }
        return try builder.build()
    }

    /// The message of the HuskError `body` throws, or nil when it does not throw.
    static func failure(_ body: () throws(HuskError) -> LaunchPlan) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.message
        }
    }

    static func failure(_ spec: Spec, bundle: String = "/bundle") -> String? {
        failure { () throws(HuskError) in try build(spec, bundle: bundle) }
    }

    static func flag(_ ns: HuskNamespace) -> UInt64 { UInt64(ns.flag) }
}

/// A namespace entry by its type string (unknown types included).
func ns(_ type: String, path: String? = nil) -> LinuxNamespace {
    var namespace = LinuxNamespace(.mount, path: path)
    namespace.type = type
    return namespace
}

extension PlanBuilderTests {

    // MARK: namespaces

    @Test func namespacesBecomeCloneFlags() throws {
        let plan = try Self.build(Self.spec(namespaces: ["pid", "network", "ipc", "uts", "mount", "cgroup"]))
        #expect(plan.cloneFlags == 0x2000_0000 | 0x4000_0000 | 0x0800_0000 | 0x0400_0000 | 0x0002_0000 | 0x0200_0000)
        #expect(plan.joins.isEmpty)
        #expect(!plan.newUserNamespace)
        #expect(!plan.newTimeNamespace)
    }

    @Test func cloneFlagValuesMatchLinux() {
        #expect(HuskNamespace.pid.flag == 0x2000_0000)     // CLONE_NEWPID
        #expect(HuskNamespace.network.flag == 0x4000_0000) // CLONE_NEWNET
        #expect(HuskNamespace.mount.flag == 0x0002_0000)   // CLONE_NEWNS
        #expect(HuskNamespace.ipc.flag == 0x0800_0000)     // CLONE_NEWIPC
        #expect(HuskNamespace.uts.flag == 0x0400_0000)     // CLONE_NEWUTS
        #expect(HuskNamespace.user.flag == 0x1000_0000)    // CLONE_NEWUSER
        #expect(HuskNamespace.cgroup.flag == 0x0200_0000)  // CLONE_NEWCGROUP
        #expect(HuskNamespace.time.flag == 0x80)           // CLONE_NEWTIME
        #expect(HuskNamespace.network.procName == "net")
        #expect(HuskNamespace.mount.procName == "mnt")
        #expect(HuskNamespace.pid.procName == "pid")
    }

    @Test func userNamespaceWithMappings() throws {
        let plan = try Self.build(Self.spec(namespaces: ["user", "mount"]) {
            $0.linux!.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)]
            $0.linux!.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 200000, size: 1000)]
        })
        #expect(plan.newUserNamespace)
        #expect(plan.cloneFlags & Self.flag(.user) != 0)
        #expect(plan.uidMappings == [IDMapping(containerID: 0, hostID: 100000, size: 65536)])
        #expect(plan.gidMappings == [IDMapping(containerID: 0, hostID: 200000, size: 1000)])
    }

    @Test(arguments: [(true, false), (false, true), (false, false)])
    func userNamespaceWithoutBothMappingsFails(uid: Bool, gid: Bool) {
        let spec = Self.spec(namespaces: ["user", "mount"]) {
            if uid { $0.linux!.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)] }
            if gid { $0.linux!.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)] }
        }
        let message = Self.failure(spec)
        #expect(message?.contains("uidMappings/gidMappings") == true)
        #expect(message?.contains("user namespace") == true)
    }

    @Test func namespacePathBecomesJoin() throws {
        let plan = try Self.build(Self.spec {
            $0.linux!.namespaces.append(ns("network", path: "/proc/self/ns/net"))
            $0.linux!.namespaces.append(ns("user", path: "/proc/self/ns/user"))
        })
        #expect(plan.cloneFlags == Self.flag(.mount))
        #expect(plan.joins.map(\.type) == [HuskNamespace.network.flag, HuskNamespace.user.flag])
        #expect(plan.joins.map(\.path) == ["/proc/self/ns/net", "/proc/self/ns/user"])
        // Joining a user namespace needs no mappings.
        #expect(!plan.newUserNamespace)
    }

    @Test func joinedMountNamespace() throws {
        let spec = Self.spec(namespaces: []) {
            $0.linux!.namespaces = [ns("mount", path: "/proc/self/ns/mnt")]
        }
        let plan = try Self.build(spec)
        #expect(plan.cloneFlags == 0)
        #expect(plan.joins.count == 1)
        #expect(plan.joins.first?.type == HuskNamespace.mount.flag)
    }

    @Test func missingNamespacePathFails() {
        let spec = Self.spec {
            $0.linux!.namespaces.append(ns("network", path: "/nonexistent/husk-test/ns/net"))
        }
        let message = Self.failure(spec)
        #expect(message?.contains("linux.namespaces[1].path") == true)
        #expect(message?.contains("does not exist") == true)
    }

    @Test func unknownNamespaceTypeFails() {
        let message = Self.failure(Self.spec(namespaces: ["mount", "bogus"]))
        #expect(message?.contains("linux.namespaces[1].type") == true)
        #expect(message?.contains("\"bogus\"") == true)
    }

    @Test func timeNamespaceWithOffsets() throws {
        let plan = try Self.build(Self.spec(namespaces: ["mount", "time"]) {
            $0.linux!.timeOffsets = ["monotonic": LinuxTimeOffset(secs: 3600, nanosecs: 5),
                                     "boottime": LinuxTimeOffset(secs: -7, nanosecs: 900)]
        })
        #expect(plan.newTimeNamespace)
        #expect(plan.cloneFlags & Self.flag(.time) == 0, "the time namespace is unshared, not cloned")
        #expect(plan.timeOffsets == [[3600, 5], [-7, 900]])
    }

    @Test func timeOffsetsDefaultToZero() throws {
        let plan = try Self.build(Self.spec(namespaces: ["mount", "time"]))
        #expect(plan.newTimeNamespace)
        #expect(plan.timeOffsets == [[0, 0], [0, 0]])
    }

    @Test func withoutAMountNamespaceTheRootIsOnlyChrooted() throws {
        let plan = try Self.build(Self.spec(namespaces: ["pid", "network"]))
        #expect(plan.chrootOnly)
        #expect(plan.rootfs == "/bundle/rootfs")
    }

    @Test func specWithoutLinuxSectionIsChrootOnly() throws {
        var spec = Self.spec()
        spec.linux = nil
        let plan = try Self.build(spec)
        #expect(plan.chrootOnly)
        #expect(plan.cloneFlags == 0)
    }

    @Test func mountNamespaceMeansAFullRootfs() throws {
        #expect(try !Self.build(Self.spec()).chrootOnly)
        let joined = Self.spec(namespaces: []) { $0.linux!.namespaces = [ns("mount", path: "/proc/self/ns/mnt")] }
        #expect(try !Self.build(joined).chrootOnly)
    }

    // MARK: rootfs

    @Test func rootfsAndPropagation() throws {
        var builder = PlanBuilder(spec: Self.spec {
            $0.root = Root(path: "rootfs", readonly: true)
            $0.linux!.rootfsPropagation = "rslave"
        }, bundle: "/b", rootfs: "/b/rootfs")
        builder.noPivot = true
        let plan = try builder.build()
        #expect(plan.rootfs == "/b/rootfs")
        #expect(plan.readonlyRoot)
        #expect(plan.noPivot)
        #expect(plan.rootfsPropagation == MountFlag.slave | MountFlag.recursive)
    }

    @Test(arguments: [("shared", MountFlag.shared), ("private", MountFlag.private),
                      ("runbindable", MountFlag.unbindable), ("slave", MountFlag.slave)])
    func rootfsPropagationValues(name: String, flag: UInt) throws {
        let plan = try Self.build(Self.spec { $0.linux!.rootfsPropagation = name })
        #expect(plan.rootfsPropagation == flag | MountFlag.recursive)
    }

    @Test func unknownRootfsPropagationFails() {
        let message = Self.failure(Self.spec { $0.linux!.rootfsPropagation = "sideways" })
        #expect(message?.contains("linux.rootfsPropagation") == true)
    }

    @Test func noRootfsPropagationIsZero() throws {
        #expect(try Self.build(Self.spec()).rootfsPropagation == 0)
    }

    // MARK: mounts

    @Test func relativeDestinationFails() {
        let spec = Self.spec {
            $0.mounts = [Mount(destination: "/proc", type: "proc", source: "proc"),
                         Mount(destination: "dev", type: "tmpfs", source: "tmpfs")]
        }
        let message = Self.failure(spec)
        #expect(message?.contains("mounts[1].destination") == true)
        #expect(message?.contains("not an absolute path") == true)
    }

    @Test func filesystemMountWithFlagsAndData() throws {
        let plan = try Self.build(Self.spec {
            $0.mounts = [Mount(destination: "/dev", type: "tmpfs", source: "tmpfs",
                               options: ["nosuid", "strictatime", "mode=755", "size=65536k"])]
        })
        #expect(plan.mounts.count == 1)
        let m = plan.mounts[0]
        #expect(m.destination == "/dev")
        #expect(m.fstype == "tmpfs")
        #expect(m.source == "tmpfs")
        #expect(m.data == "mode=755,size=65536k")
        #expect(m.flags == MountFlag.noSuid | MountFlag.strictAtime)
        #expect(!m.bind)
    }

    @Test func optionFlagsMapToMSBits() throws {
        let plan = try Self.build(Self.spec {
            $0.mounts = [Mount(destination: "/sys", type: "sysfs", source: "sysfs",
                               options: ["ro", "nosuid", "nodev", "noexec"])]
        })
        let m = try #require(plan.mounts.first)
        #expect(m.flags == 1 | 2 | 4 | 8) // MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
        #expect(m.data == nil)
    }

    @Test func mountWithoutOptionsHasNoData() throws {
        let plan = try Self.build(Self.spec { $0.mounts = [Mount(destination: "/proc", type: "proc", source: "proc")] })
        #expect(plan.mounts == [LaunchPlan.Mount(source: "proc", destination: "/proc", fstype: "proc")])
    }

    @Test func mountTypeAndSourceStandInForEachOther() throws {
        let plan = try Self.build(Self.spec {
            $0.mounts = [Mount(destination: "/a", type: "tmpfs"), Mount(destination: "/b", source: "mqueue")]
        })
        #expect(plan.mounts.map(\.fstype) == ["tmpfs", "mqueue"])
        #expect(plan.mounts.map(\.source) == ["tmpfs", "mqueue"])
    }

    @Test func propagationOptionsKeepTheirOrder() throws {
        let plan = try Self.build(Self.spec {
            $0.mounts = [Mount(destination: "/data", type: "tmpfs", source: "tmpfs", options: ["rshared", "private"])]
        })
        #expect(plan.mounts[0].propagation == [MountFlag.shared | MountFlag.recursive, MountFlag.private])
        #expect(plan.mounts[0].flags == 0)
    }

    @Test func recursiveAttributes() throws {
        let plan = try Self.build(Self.spec {
            $0.mounts = [Mount(destination: "/data", type: "tmpfs", source: "tmpfs", options: ["rro", "rnosuid"])]
        })
        #expect(plan.mounts[0].attrSet == MountAttr.readOnly | MountAttr.noSuid)
    }

    @Test func bindSourceIsResolvedRelativeToTheBundle() throws {
        try withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/data/sub", withIntermediateDirectories: true)
            let plan = try Self.build(Self.spec {
                $0.mounts = [Mount(destination: "/mnt", type: "bind", source: "data/./sub/../sub", options: ["ro"]),
                             Mount(destination: "/abs", type: "none", source: dir + "/data", options: ["rbind"])]
            }, bundle: dir)
            #expect(plan.mounts.count == 2)
            let relative = plan.mounts[0]
            #expect(relative.bind)
            #expect(relative.source == dir + "/data/sub")
            #expect(relative.fstype == nil)
            #expect(relative.flags == MountFlag.bind | MountFlag.readOnly)
            let absolute = plan.mounts[1]
            #expect(absolute.bind)
            #expect(absolute.source == dir + "/data")
            #expect(absolute.flags == MountFlag.bind | MountFlag.recursive)
        }
    }

    @Test func missingBindSourceFails() {
        let message = Self.failure(Self.spec {
            $0.mounts = [Mount(destination: "/mnt", type: "bind", source: "no-such-dir", options: ["bind"])]
        }, bundle: "/nonexistent-husk-bundle")
        #expect(message?.contains("mounts[0].source") == true)
        #expect(message?.contains("/nonexistent-husk-bundle/no-such-dir") == true)
        #expect(message?.contains("does not exist") == true)
    }

    @Test func bindWithoutSourceFails() {
        let message = Self.failure(Self.spec { $0.mounts = [Mount(destination: "/mnt", type: "bind")] })
        #expect(message?.contains("mounts[0].source") == true)
    }

    @Test func cgroupMountOnUnifiedHost() throws {
        let host = HostCgroups(unified: true, hierarchies: [])
        let plan = try Self.build(Self.spec {
            $0.mounts = [Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                               options: ["nosuid", "noexec", "nodev", "relatime", "ro"])]
        }, cgroups: host)
        #expect(plan.mounts.count == 1)
        let m = plan.mounts[0]
        #expect(m.fstype == "cgroup2")
        #expect(m.source == "cgroup2")
        #expect(m.destination == "/sys/fs/cgroup")
        #expect(m.flags == MountFlag.noSuid | MountFlag.noExec | MountFlag.noDev | MountFlag.relatime | MountFlag.readOnly)
        #expect(!m.bind)
    }

    @Test func cgroupMountOnHybridHost() throws {
        let host = HostCgroups(unified: false, hierarchies: [
            .init(name: "cpu,cpuacct", hostPath: "/sys/fs/cgroup/cpu,cpuacct/ctr"),
            .init(name: "memory", hostPath: "/sys/fs/cgroup/memory/ctr"),
            .init(name: "systemd", hostPath: "/sys/fs/cgroup/systemd"),
        ])
        let plan = try Self.build(Self.spec {
            $0.mounts = [Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                               options: ["nosuid", "noexec", "nodev", "relatime", "ro"])]
        }, cgroups: host)
        #expect(plan.mounts.count == 4)
        let tmpfs = plan.mounts[0]
        #expect(tmpfs.fstype == "tmpfs")
        #expect(tmpfs.destination == "/sys/fs/cgroup")
        #expect(tmpfs.data == "mode=755")
        #expect(tmpfs.flags == MountFlag.noSuid | MountFlag.noDev | MountFlag.noExec)
        let binds = plan.mounts.dropFirst()
        #expect(binds.map(\.destination) == ["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/systemd"])
        #expect(binds.map(\.source) == ["/sys/fs/cgroup/cpu,cpuacct/ctr", "/sys/fs/cgroup/memory/ctr", "/sys/fs/cgroup/systemd"])
        for bind in binds {
            #expect(bind.bind)
            #expect(bind.fstype == nil)
            #expect(bind.flags & (MountFlag.bind | MountFlag.recursive) == MountFlag.bind | MountFlag.recursive)
            #expect(bind.flags & MountFlag.readOnly != 0)
        }
    }

    @Test func cgroupMountOnHostWithoutHierarchiesIsJustTheTmpfs() throws {
        let plan = try Self.build(Self.spec {
            $0.mounts = [Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup")]
        }, cgroups: HostCgroups(unified: false, hierarchies: []))
        #expect(plan.mounts.map(\.fstype) == ["tmpfs"])
    }

    // MARK: devices

    @Test func deviceTypesBecomeModeBits() throws {
        let plan = try Self.build(Self.spec {
            $0.linux!.devices = [
                LinuxDevice(type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o600, uid: 1, gid: 2),
                LinuxDevice(type: "b", path: "/dev/loop9", major: 7, minor: 9),
                LinuxDevice(type: "p", path: "/dev/pipe"),
                LinuxDevice(type: "u", path: "/dev/raw", major: 1, minor: 3),
            ]
        })
        #expect(plan.devices == [
            LaunchPlan.Device(path: "/dev/fuse", mode: 0o020600, major: 10, minor: 229, uid: 1, gid: 2),
            LaunchPlan.Device(path: "/dev/loop9", mode: 0o060666, major: 7, minor: 9, uid: 0, gid: 0),
            LaunchPlan.Device(path: "/dev/pipe", mode: 0o010666, major: 0, minor: 0, uid: 0, gid: 0),
            LaunchPlan.Device(path: "/dev/raw", mode: 0o020666, major: 1, minor: 3, uid: 0, gid: 0),
        ])
        #expect(plan.defaultDevices)
    }

    @Test func deviceFileModeKeepsOnlyPermissionBits() throws {
        let plan = try Self.build(Self.spec {
            $0.linux!.devices = [LinuxDevice(type: "c", path: "/dev/x", major: 1, minor: 1, fileMode: 0o060644)]
        })
        #expect(plan.devices[0].mode == 0o020644)
    }

    @Test func unknownDeviceTypeFails() {
        let message = Self.failure(Self.spec {
            $0.linux!.devices = [LinuxDevice(type: "c", path: "/dev/a"), LinuxDevice(type: "x", path: "/dev/b")]
        })
        #expect(message?.contains("linux.devices[1].type") == true)
        #expect(message?.contains("\"x\"") == true)
    }

    // MARK: sysctl, hostname, paths, hooks

    @Test func sysctlNamesBecomeSortedProcSysPaths() throws {
        let plan = try Self.build(Self.spec(namespaces: ["mount", "network", "ipc"]) {
            $0.linux!.sysctl = ["net.ipv4.ip_forward": "1", "kernel.msgmax": "8192", "net.core.somaxconn": "256"]
        })
        #expect(plan.sysctls.map(\.path) == ["/proc/sys/kernel/msgmax", "/proc/sys/net/core/somaxconn",
                                            "/proc/sys/net/ipv4/ip_forward"])
        #expect(plan.sysctls.map(\.value) == ["8192", "256", "1"])
    }

    @Test(arguments: [("net.ipv4.ip_forward", "network"), ("kernel.shmmax", "ipc"), ("fs.mqueue.queues_max", "ipc"),
                      ("kernel.hostname", "uts")])
    func namespacedSysctlNeedsItsNamespace(key: String, namespace: String) throws {
        let message = Self.failure(Self.spec { $0.linux!.sysctl = [key: "1"] })
        #expect(message?.contains("linux.sysctl[\"\(key)\"]") == true)
        #expect(message?.contains("\(namespace) namespace") == true)
        let plan = try Self.build(Self.spec(namespaces: ["mount", namespace]) { $0.linux!.sysctl = [key: "1"] })
        #expect(plan.sysctls.map(\.path) == ["/proc/sys/" + key.replacingDots()])
    }

    @Test func joinedNamespaceAllowsItsSysctls() throws {
        let plan = try Self.build(Self.spec {
            $0.linux!.namespaces.append(ns("network", path: "/proc/self/ns/net"))
            $0.linux!.sysctl = ["net.core.somaxconn": "128"]
        })
        #expect(plan.sysctls.map(\.value) == ["128"])
    }

    @Test(arguments: ["vm.swappiness", "kernel.panic", "kernel.msgmaxx"])
    func hostWideSysctlFails(key: String) {
        let message = Self.failure(Self.spec(namespaces: ["mount", "network", "ipc", "uts"]) { $0.linux!.sysctl = [key: "1"] })
        #expect(message?.contains("not a namespaced sysctl") == true)
    }

    @Test func hostnameAndDomainnameNeedUTS() throws {
        let plan = try Self.build(Self.spec(namespaces: ["mount", "uts"]) {
            $0.hostname = "box"
            $0.domainname = "example.org"
        })
        #expect(plan.hostname == "box")
        #expect(plan.domainname == "example.org")

        let noHost = Self.failure(Self.spec { $0.hostname = "box" })
        #expect(noHost?.contains("hostname") == true)
        #expect(noHost?.contains("uts namespace") == true)
        let noDomain = Self.failure(Self.spec { $0.domainname = "example.org" })
        #expect(noDomain?.contains("domainname") == true)
        #expect(noDomain?.contains("uts namespace") == true)
    }

    @Test func emptyHostnameNeedsNoUTS() throws {
        let plan = try Self.build(Self.spec { $0.hostname = "" })
        #expect(plan.hostname == nil)
    }

    @Test func hostnameWithJoinedUTS() throws {
        let plan = try Self.build(Self.spec {
            $0.linux!.namespaces.append(ns("uts", path: "/proc/self/ns/uts"))
            $0.hostname = "joined"
        })
        #expect(plan.hostname == "joined")
    }

    @Test func maskedAndReadonlyPathsPassThrough() throws {
        let plan = try Self.build(Self.spec {
            $0.linux!.maskedPaths = ["/proc/kcore", "/sys/firmware"]
            $0.linux!.readonlyPaths = ["/proc/sys"]
        })
        #expect(plan.maskedPaths == ["/proc/kcore", "/sys/firmware"])
        #expect(plan.readonlyPaths == ["/proc/sys"])
    }

    @Test func containerHooks() throws {
        let plan = try Self.build(Self.spec {
            var hooks = Hooks()
            hooks.createContainer = [Hook(path: "/bin/a"), Hook(path: "/bin/b", args: ["b", "-x"], env: ["K=V"], timeout: 3)]
            hooks.startContainer = [Hook(path: "/bin/c")]
            hooks.prestart = [Hook(path: "/bin/runtime-side")]
            $0.hooks = hooks
        })
        #expect(plan.createContainerHooks == [
            LaunchPlan.Hook(path: "/bin/a", args: ["/bin/a"], env: [], timeout: 0),
            LaunchPlan.Hook(path: "/bin/b", args: ["b", "-x"], env: ["K=V"], timeout: 3),
        ])
        #expect(plan.startContainerHooks == [LaunchPlan.Hook(path: "/bin/c", args: ["/bin/c"], env: [], timeout: 0)])
    }

    // MARK: process

    @Test func specWithoutProcessBuildsWithoutArgs() throws {
        var spec = Self.spec()
        spec.process = nil
        #expect(try Self.build(spec).args.isEmpty)
    }

    @Test func emptyArgsFail() {
        let message = Self.failure(Self.spec { $0.process!.args = [] })
        #expect(message?.contains("process.args") == true)
    }

    @Test func processBasics() throws {
        let plan = try Self.build(Self.spec {
            $0.process!.args = ["sh", "-c", "echo hi"]
            $0.process!.env = ["PATH=/usr/bin", "A=1", "PATH=/bin:/sbin"]
            $0.process!.cwd = "/work"
            $0.process!.terminal = true
            $0.process!.consoleSize = ConsoleSize(height: 24, width: 80)
            $0.process!.user.uid = 1000
            $0.process!.user.gid = 100
            $0.process!.user.additionalGids = [5, 6]
            $0.process!.user.umask = 0o027
            $0.process!.noNewPrivileges = true
            $0.process!.oomScoreAdj = 5000
        })
        #expect(plan.args == ["sh", "-c", "echo hi"])
        #expect(plan.env == ["PATH=/usr/bin", "A=1", "PATH=/bin:/sbin"])
        #expect(plan.pathVariable == "/bin:/sbin")
        #expect(plan.cwd == "/work")
        #expect(plan.terminal)
        #expect(plan.consoleSize.width == 80)
        #expect(plan.consoleSize.height == 24)
        #expect(plan.uid == 1000)
        #expect(plan.gid == 100)
        #expect(plan.additionalGids == [5, 6])
        #expect(plan.umask == 0o027)
        #expect(plan.noNewPrivileges)
        #expect(plan.oomScoreAdj == 5000)
    }

    @Test func processDefaults() throws {
        let plan = try Self.build(Self.spec())
        #expect(plan.cwd == "/")
        #expect(plan.umask == -1)
        #expect(plan.oomScoreAdj == nil)
        #expect(plan.capabilities == nil)
        #expect(plan.ioPriority == nil)
        #expect(plan.scheduler == nil)
        #expect(plan.personality == nil)
        #expect(plan.rlimits.isEmpty)
        #expect(plan.pathVariable == nil)
    }

    @Test func umaskKeepsPermissionBits() throws {
        #expect(try Self.build(Self.spec { $0.process!.user.umask = 0o10022 }).umask == 0o022)
        #expect(try Self.build(Self.spec { $0.process!.user.umask = 0 }).umask == 0)
    }

    @Test func rlimits() throws {
        let plan = try Self.build(Self.spec {
            $0.process!.rlimits = [Rlimit(type: "RLIMIT_NOFILE", hard: 4096, soft: 1024),
                                   Rlimit(type: "RLIMIT_CORE", hard: UInt64.max, soft: 0)]
        })
        #expect(plan.rlimits == [LaunchPlan.Rlimit(name: "RLIMIT_NOFILE", resource: 7, soft: 1024, hard: 4096),
                                 LaunchPlan.Rlimit(name: "RLIMIT_CORE", resource: 4, soft: 0, hard: UInt64.max)])
    }

    @Test func unknownRlimitFails() {
        let message = Self.failure(Self.spec {
            $0.process!.rlimits = [Rlimit(type: "RLIMIT_NOFILE", hard: 1, soft: 1), Rlimit(type: "RLIMIT_BOGUS", hard: 1, soft: 1)]
        })
        #expect(message?.contains("process.rlimits[1].type") == true)
        #expect(message?.contains("RLIMIT_BOGUS") == true)
    }

    @Test func capabilityMasks() throws {
        let plan = try Self.build(Self.spec {
            var caps = LinuxCapabilities()
            caps.bounding = ["CAP_CHOWN", "CAP_SYS_ADMIN"]
            caps.effective = ["CAP_CHOWN"]
            caps.permitted = ["CAP_SYS_ADMIN"]
            caps.inheritable = []
            caps.ambient = ["CAP_KILL"]
            $0.process!.capabilities = caps
        })
        let caps = try #require(plan.capabilities)
        #expect(caps.bounding == (1 << 0) | (1 << 21))
        #expect(caps.effective == 1)
        #expect(caps.permitted == 1 << 21)
        #expect(caps.inheritable == 0)
        #expect(caps.ambient == 1 << 5) // CAP_KILL
    }

    @Test func unknownCapabilityFails() {
        let message = Self.failure(Self.spec {
            var caps = LinuxCapabilities()
            caps.effective = ["CAP_CHOWN", "CAP_MAKE_COFFEE"]
            $0.process!.capabilities = caps
        })
        #expect(message?.contains("process.capabilities") == true)
        #expect(message?.contains("CAP_MAKE_COFFEE") == true)
    }

    @Test(arguments: [("IOPRIO_CLASS_RT", Int32(1)), ("IOPRIO_CLASS_BE", 2), ("IOPRIO_CLASS_IDLE", 3)])
    func ioPriorityClasses(name: String, value: Int32) throws {
        let plan = try Self.build(Self.spec { $0.process!.ioPriority = IOPriority(class: name, priority: 4) })
        #expect(plan.ioPriority == (value << 13) | 4) // IOPRIO_PRIO_VALUE
    }

    @Test func unknownIOPriorityClassFails() {
        let message = Self.failure(Self.spec { $0.process!.ioPriority = IOPriority(class: "IOPRIO_CLASS_NONE", priority: 0) })
        #expect(message?.contains("process.ioPriority.class") == true)
    }

    @Test func scheduler() throws {
        let plan = try Self.build(Self.spec {
            var s = Scheduler(policy: "SCHED_DEADLINE")
            s.priority = 0
            s.nice = -5
            s.flags = ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_UTIL_CLAMP_MAX"]
            s.runtime = 10_000
            s.deadline = 20_000
            s.period = 30_000
            $0.process!.scheduler = s
        })
        let s = try #require(plan.scheduler)
        #expect(s.policy == 6)
        #expect(s.nice == -5)
        #expect(s.flags == 0x01 | 0x04 | 0x40)
        #expect(s.runtime == 10_000)
        #expect(s.deadline == 20_000)
        #expect(s.period == 30_000)
    }

    @Test(arguments: [("SCHED_OTHER", Int32(0)), ("SCHED_FIFO", 1), ("SCHED_RR", 2), ("SCHED_BATCH", 3),
                      ("SCHED_ISO", 4), ("SCHED_IDLE", 5), ("SCHED_DEADLINE", 6)])
    func schedulerPolicies(name: String, value: Int32) throws {
        let plan = try Self.build(Self.spec { $0.process!.scheduler = Scheduler(policy: name) })
        #expect(plan.scheduler?.policy == value)
        #expect(plan.scheduler?.flags == 0)
    }

    @Test func unknownSchedulerPolicyOrFlagFails() {
        let policy = Self.failure(Self.spec { $0.process!.scheduler = Scheduler(policy: "SCHED_FAST") })
        #expect(policy?.contains("process.scheduler.policy") == true)
        let flag = Self.failure(Self.spec {
            var s = Scheduler(policy: "SCHED_OTHER")
            s.flags = ["SCHED_FLAG_TURBO"]
            $0.process!.scheduler = s
        })
        #expect(flag?.contains("process.scheduler.flags") == true)
    }

    @Test func personality() throws {
        #expect(try Self.build(Self.spec { $0.linux!.personality = LinuxPersonality(domain: "LINUX32") }).personality == 0x0008)
        #expect(try Self.build(Self.spec { $0.linux!.personality = LinuxPersonality(domain: "LINUX") }).personality == 0)
        let message = Self.failure(Self.spec { $0.linux!.personality = LinuxPersonality(domain: "BSD") })
        #expect(message?.contains("linux.personality.domain") == true)
    }

    @Test(.enabled(if: !HostSecurity.apparmorEnabled, "needs a host without AppArmor"))
    func apparmorProfileWithoutAppArmorFails() {
        let message = Self.failure(Self.spec { $0.process!.apparmorProfile = "husk-default" })
        #expect(message?.contains("process.apparmorProfile") == true)
        #expect(message?.contains("AppArmor") == true)
    }

    @Test func emptyApparmorProfileIsIgnored() throws {
        _ = try Self.build(Self.spec { $0.process!.apparmorProfile = "" })
    }

    @Test(.enabled(if: !HostSecurity.selinuxEnabled, "needs a host without SELinux"))
    func selinuxLabelWithoutSELinuxFails() {
        let message = Self.failure(Self.spec { $0.process!.selinuxLabel = "system_u:system_r:container_t:s0" })
        #expect(message?.contains("process.selinuxLabel") == true)
        #expect(message?.contains("SELinux") == true)
    }

    // MARK: from JSON

    @Test func buildsFromParsedJSON() throws {
        let spec = try Spec.parse("""
            {
              "ociVersion": "1.2.0",
              "process": {"args": ["/bin/sh"], "cwd": "", "user": {"uid": 0, "gid": 0},
                          "capabilities": {"bounding": ["CAP_SYS_ADMIN"]},
                          "rlimits": [{"type": "RLIMIT_NPROC", "hard": 10, "soft": 5}]},
              "root": {"path": "rootfs"},
              "hostname": "json",
              "mounts": [{"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]}],
              "linux": {
                "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc"}],
                "sysctl": {"kernel.shmmax": "1"},
                "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229}]
              }
            }
            """)
        let plan = try Self.build(spec)
        #expect(plan.cloneFlags == Self.flag(.pid) | Self.flag(.mount) | Self.flag(.uts) | Self.flag(.ipc))
        #expect(plan.cwd == "/")
        #expect(plan.hostname == "json")
        #expect(plan.capabilities?.bounding == 1 << 21)
        #expect(plan.rlimits == [LaunchPlan.Rlimit(name: "RLIMIT_NPROC", resource: 6, soft: 5, hard: 10)])
        #expect(plan.mounts == [LaunchPlan.Mount(source: "proc", destination: "/proc", fstype: "proc",
                                                 flags: MountFlag.noSuid | MountFlag.noExec | MountFlag.noDev)])
        #expect(plan.sysctls.map(\.path) == ["/proc/sys/kernel/shmmax"])
        #expect(plan.devices.first?.mode == 0o020666)
    }

    @Test func sysctlNameConversion() {
        #expect("net.ipv4.ip_forward".replacingDots() == "net/ipv4/ip_forward")
        #expect("kernel".replacingDots() == "kernel")
    }
}

/// Runs `body` with a fresh directory under /tmp, removed afterwards.
func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.path + "/husk-unit-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try body(dir)
}

@Suite struct LoopbackAnnotationTests {
    @Test func upOnlyInANetworkNamespaceOfItsOwn() throws {
        let annotated = PlanBuilderTests.spec(namespaces: ["mount", "network"]) { $0.annotations[PlanBuilder.loopbackAnnotation] = "up" }
        #expect(try PlanBuilderTests.build(annotated).loopbackUp)
        // The host's network (no namespace): never touch its lo.
        let hostNet = PlanBuilderTests.spec(namespaces: ["mount"]) { $0.annotations[PlanBuilder.loopbackAnnotation] = "up" }
        #expect(try !PlanBuilderTests.build(hostNet).loopbackUp)
        // Without the annotation a new namespace keeps lo down, as runc leaves it.
        #expect(try !PlanBuilderTests.build(PlanBuilderTests.spec(namespaces: ["mount", "network"])).loopbackUp)
    }
}
