import CHusk
import OCI
import Testing
@testable import Runtime

/// CPlan lowers a LaunchPlan to the C struct the child reads: check the copy, field by field.
@Suite struct CPlanTests {
    static func text(_ p: UnsafePointer<CChar>?) -> String? {
        p.map { String(cString: $0) }
    }

    static func strings(_ p: UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> [String]? {
        guard let p else { return nil }
        var out: [String] = []
        var i = 0
        while let s = p[i] { out.append(String(cString: s)); i += 1 }
        return out
    }

    static func samplePlan() -> LaunchPlan {
        var plan = LaunchPlan()
        plan.cloneFlags = UInt64(HuskNamespace.mount.flag | HuskNamespace.pid.flag)
        plan.newTimeNamespace = true
        plan.timeOffsets = [[1, 2], [3, 4]]
        plan.joins = [(HuskNamespace.network.flag, "/proc/1/ns/net")]
        plan.rootfs = "/bundle/rootfs"
        plan.readonlyRoot = true
        var m = LaunchPlan.Mount(source: "tmpfs", destination: "/tmp", fstype: "tmpfs", data: "size=1m")
        m.flags = MountFlag.noSuid
        m.propagation = [MountFlag.shared, MountFlag.private, MountFlag.slave, MountFlag.unbindable, MountFlag.shared]
        plan.mounts = [m, LaunchPlan.Mount(source: nil, destination: "/none")]
        plan.devices = [LaunchPlan.Device(path: "/dev/fuse", mode: 0o020666, major: 10, minor: 229, uid: 0, gid: 0)]
        plan.maskedPaths = ["/proc/kcore"]
        plan.readonlyPaths = ["/proc/sys", "/proc/bus"]
        plan.sysctls = [("/proc/sys/kernel/shmmax", "1")]
        plan.hostname = "box"
        plan.createContainerHooks = [LaunchPlan.Hook(path: "/bin/h", args: ["h", "1"], env: ["A=1"], timeout: 5)]
        plan.args = ["sh", "-c", "true"]
        plan.env = ["PATH=/bin", "X=y"]
        plan.cwd = "/w"
        plan.uid = 1000
        plan.gid = 1001
        plan.additionalGids = [5, 6, 7]
        plan.umask = 0o22
        plan.rlimits = [LaunchPlan.Rlimit(name: "RLIMIT_NOFILE", resource: 7, soft: 10, hard: 20)]
        plan.oomScoreAdj = -100
        plan.capabilities = LaunchPlan.Capabilities(bounding: 3, effective: 1, permitted: 2, inheritable: 0, ambient: 0)
        plan.ioPriority = (2 << 13) | 4
        plan.personality = 8
        return plan
    }

    @Test func lowersEveryField() {
        let c = CPlan(Self.samplePlan(), fds: .init(sync: 9, stateDir: 10, console: 11, preserve: 2))
        let raw = c.raw
        #expect(raw.clone_flags == UInt64(HuskNamespace.mount.flag | HuskNamespace.pid.flag))
        #expect(raw.new_time_ns == 1)
        #expect(raw.time_offsets.0.0 == 1 && raw.time_offsets.0.1 == 2 && raw.time_offsets.1.0 == 3 && raw.time_offsets.1.1 == 4)
        #expect(raw.n_joins == 1)
        #expect(raw.joins[0].type == HuskNamespace.network.flag)
        #expect(Self.text(raw.joins[0].path) == "/proc/1/ns/net")
        #expect(raw.need_idmap == 0)
        #expect(raw.sync_fd == 9 && raw.state_dir_fd == 10 && raw.console_fd == 11 && raw.preserve_fds == 2)
        #expect(Self.text(raw.fifo_name) == "exec.fifo")

        #expect(Self.text(raw.rootfs) == "/bundle/rootfs")
        #expect(raw.readonly_root == 1)
        #expect(raw.chroot_only == 0)
        #expect(raw.n_mounts == 2)
        let m = raw.mounts[0]
        #expect(Self.text(m.source) == "tmpfs")
        #expect(Self.text(m.destination) == "/tmp")
        #expect(Self.text(m.fstype) == "tmpfs")
        #expect(Self.text(m.data) == "size=1m")
        #expect(m.flags == MountFlag.noSuid)
        // At most three propagation steps, always 0-terminated.
        #expect(m.propagation.0 == MountFlag.shared && m.propagation.1 == MountFlag.private
                && m.propagation.2 == MountFlag.slave && m.propagation.3 == 0)
        #expect(raw.mounts[1].source == nil && raw.mounts[1].fstype == nil && raw.mounts[1].data == nil)
        #expect(raw.n_devices == 1)
        #expect(raw.devices[0].mode == 0o020666 && raw.devices[0].major == 10 && raw.devices[0].minor == 229)
        #expect(raw.devices_by_bind == 0)
        #expect(raw.n_masked == 1 && Self.text(raw.masked_paths[0]) == "/proc/kcore")
        #expect(raw.n_readonly == 2 && Self.text(raw.readonly_paths[1]) == "/proc/bus")
        #expect(raw.n_sysctls == 1 && Self.text(raw.sysctls[0].path) == "/proc/sys/kernel/shmmax")
        #expect(Self.text(raw.hostname) == "box")
        #expect(raw.domainname == nil)

        #expect(raw.n_create_container_hooks == 1)
        #expect(Self.text(raw.create_container_hooks[0].path) == "/bin/h")
        #expect(Self.strings(UnsafePointer(raw.create_container_hooks[0].argv)) == ["h", "1"])
        #expect(Self.strings(UnsafePointer(raw.create_container_hooks[0].envp)) == ["A=1"])
        #expect(raw.create_container_hooks[0].timeout_sec == 5)
        #expect(raw.n_start_container_hooks == 0)

        #expect(Self.strings(UnsafePointer(raw.argv)) == ["sh", "-c", "true"])
        #expect(Self.strings(UnsafePointer(raw.envp)) == ["PATH=/bin", "X=y"])
        #expect(Self.text(raw.path_env) == "/bin")
        #expect(Self.text(raw.cwd) == "/w")
        #expect(raw.uid == 1000 && raw.gid == 1001)
        #expect(raw.n_groups == 3 && raw.groups[2] == 7)
        #expect(raw.umask == 0o22)
        #expect(raw.n_rlimits == 1 && raw.rlimits[0].resource == 7 && raw.rlimits[0].soft == 10 && raw.rlimits[0].hard == 20)
        #expect(Self.text(raw.rlimits[0].name) == "RLIMIT_NOFILE")
        #expect(raw.has_oom_score_adj == 1 && raw.oom_score_adj == -100)
        #expect(raw.set_caps == 1 && raw.cap_bounding == 3 && raw.cap_effective == 1 && raw.cap_permitted == 2)
        #expect(raw.has_ioprio == 1 && raw.ioprio == (2 << 13) | 4)
        #expect(raw.has_scheduler == 0)
        #expect(raw.has_personality == 1 && raw.personality == 8)
        #expect(raw.seccomp_filter == nil)
        withExtendedLifetime(c) {}
    }

    @Test func emptyPlanHasNullsAndTerminators() {
        let c = CPlan(LaunchPlan(), fds: .init(sync: 3))
        let raw = c.raw
        #expect(raw.rootfs == nil)
        #expect(raw.n_mounts == 0 && raw.n_devices == 0 && raw.n_joins == 0)
        #expect(Self.strings(UnsafePointer(raw.argv)) == [])
        #expect(Self.strings(UnsafePointer(raw.envp)) == [])
        #expect(raw.path_env == nil)
        #expect(Self.text(raw.cwd) == "/")
        #expect(raw.umask == -1)
        #expect(raw.has_oom_score_adj == 0 && raw.set_caps == 0 && raw.has_ioprio == 0 && raw.has_personality == 0)
        #expect(raw.state_dir_fd == -1 && raw.console_fd == -1)
        #expect(raw.default_devices == 1)
        withExtendedLifetime(c) {}
    }

    @Test func userNamespaceNeedsIDMapAndBindDevices() {
        var plan = LaunchPlan()
        plan.cloneFlags = UInt64(HuskNamespace.user.flag | HuskNamespace.mount.flag)
        plan.chrootOnly = false
        let c = CPlan(plan, fds: .init(sync: 3))
        #expect(c.raw.need_idmap == 1)
        #expect(c.raw.devices_by_bind == 1)
    }

    @Test func schedulerAndSeccomp() {
        var plan = LaunchPlan()
        var s = LaunchPlan.Scheduler(policy: 6)
        s.flags = 5
        s.runtime = 1
        s.deadline = 2
        s.period = 3
        plan.scheduler = s
        plan.seccompFilter = Array(repeating: 0, count: 16)
        plan.seccompFlags = 2
        let c = CPlan(plan, fds: .init(sync: 3))
        #expect(c.raw.has_scheduler == 1 && c.raw.sched_policy == 6 && c.raw.sched_flags == 5)
        #expect(c.raw.sched_runtime == 1 && c.raw.sched_deadline == 2 && c.raw.sched_period == 3)
        #expect(c.raw.seccomp_filter != nil && c.raw.seccomp_len == 2 && c.raw.seccomp_flags == 2)
        withExtendedLifetime(c) {}
    }
}
