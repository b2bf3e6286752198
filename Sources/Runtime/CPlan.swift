import CHusk
import Glibc

/// Lowers a LaunchPlan to the flat C struct the child reads. All memory is malloc'd here,
/// in the parent, before clone, and freed when the CPlan goes away (after the child has
/// exec'd or failed), so the child never allocates.
final class CPlan {
    private var allocations: [UnsafeMutableRawPointer] = []
    var raw = husk_plan()

    /// File descriptors the child needs, opened by the caller.
    struct FDs {
        var sync: Int32
        var stateDir: Int32 = -1
        var console: Int32 = -1
        var preserve: Int32 = 0
        var nsServer: Int32 = -1
    }

    init(_ plan: LaunchPlan, fds: FDs) {
        raw.clone_flags = plan.cloneFlags
        raw.new_time_ns = plan.newTimeNamespace ? 1 : 0
        raw.time_offsets = ((plan.timeOffsets[0][0], plan.timeOffsets[0][1]), (plan.timeOffsets[1][0], plan.timeOffsets[1][1]))
        raw.joins = array(plan.joins.map { husk_join_ns(type: $0.type, path: string($0.path), fd: plan.joinFDs[$0.type] ?? -1) })
        raw.n_joins = Int32(plan.joins.count)
        raw.need_idmap = plan.newUserNamespace ? 1 : 0
        raw.non_dumpable = plan.nonDumpable ? 1 : 0
        raw.cgroup_fd = plan.cgroupFD
        raw.cgroup_procs = array(plan.cgroupJoinFiles.map { Optional(string($0)) })
        raw.n_cgroup_procs = Int32(plan.cgroupJoinFiles.count)
        raw.unshare_cgroupns = plan.unshareCgroupNamespace ? 1 : 0

        raw.sync_fd = fds.sync
        raw.state_dir_fd = fds.stateDir
        raw.fifo_name = plan.startBySync ? nil : string("exec.fifo")
        raw.console_fd = fds.console
        raw.preserve_fds = fds.preserve
        raw.ns_server_fd = fds.nsServer

        raw.rootfs = plan.rootfs.map(string)
        raw.readonly_root = plan.readonlyRoot ? 1 : 0
        raw.rootfs_propagation = plan.rootfsPropagation
        raw.no_pivot = plan.noPivot ? 1 : 0
        raw.chroot_only = plan.chrootOnly ? 1 : 0
        raw.mounts = array(plan.mounts.map(mount))
        raw.n_mounts = Int32(plan.mounts.count)
        raw.default_devices = plan.defaultDevices ? 1 : 0
        raw.devices = array(plan.devices.map {
            husk_device(path: string($0.path), mode: $0.mode, major: $0.major, minor: $0.minor, uid: $0.uid, gid: $0.gid)
        })
        raw.n_devices = Int32(plan.devices.count)
        raw.devices_by_bind = plan.newUserNamespace ? 1 : 0
        raw.masked_paths = array(plan.maskedPaths.map { Optional(string($0)) })
        raw.n_masked = Int32(plan.maskedPaths.count)
        raw.readonly_paths = array(plan.readonlyPaths.map { Optional(string($0)) })
        raw.n_readonly = Int32(plan.readonlyPaths.count)
        raw.sysctls = array(plan.sysctls.map { husk_sysctl(path: string($0.path), value: string($0.value)) })
        raw.n_sysctls = Int32(plan.sysctls.count)
        raw.hostname = plan.hostname.map(string)
        raw.domainname = plan.domainname.map(string)
        raw.loopback_up = plan.loopbackUp ? 1 : 0

        raw.create_container_hooks = array(plan.createContainerHooks.map(hook))
        raw.n_create_container_hooks = Int32(plan.createContainerHooks.count)
        raw.start_container_hooks = array(plan.startContainerHooks.map(hook))
        raw.n_start_container_hooks = Int32(plan.startContainerHooks.count)

        raw.argv = stringArray(plan.args)
        raw.envp = stringArray(plan.env)
        raw.path_env = plan.pathVariable.map(string)
        raw.cwd = string(plan.cwd)
        raw.terminal = plan.terminal ? 1 : 0
        raw.console_width = plan.consoleSize.width
        raw.console_height = plan.consoleSize.height
        raw.uid = plan.uid
        raw.gid = plan.gid
        raw.groups = array(plan.additionalGids)
        raw.n_groups = Int32(plan.additionalGids.count)
        raw.set_groups = plan.skipSetgroups ? 0 : 1
        raw.umask = plan.umask
        raw.rlimits = array(plan.rlimits.map {
            husk_rlimit(name: string($0.name), resource: $0.resource, soft: $0.soft, hard: $0.hard)
        })
        raw.n_rlimits = Int32(plan.rlimits.count)
        raw.no_new_privs = plan.noNewPrivileges ? 1 : 0
        raw.has_oom_score_adj = plan.oomScoreAdj == nil ? 0 : 1
        raw.oom_score_adj = plan.oomScoreAdj ?? 0
        if let caps = plan.capabilities {
            raw.set_caps = 1
            raw.cap_bounding = caps.bounding
            raw.cap_effective = caps.effective
            raw.cap_permitted = caps.permitted
            raw.cap_inheritable = caps.inheritable
            raw.cap_ambient = caps.ambient
        }
        if let io = plan.ioPriority {
            raw.has_ioprio = 1
            raw.ioprio = io
        }
        if let s = plan.scheduler {
            raw.has_scheduler = 1
            raw.sched_policy = s.policy
            raw.sched_priority = s.priority
            raw.sched_nice = s.nice
            raw.sched_flags = s.flags
            raw.sched_runtime = s.runtime
            raw.sched_deadline = s.deadline
            raw.sched_period = s.period
        }
        if let persona = plan.personality {
            raw.has_personality = 1
            raw.personality = persona
        }
        if let filter = plan.seccompFilter {
            raw.seccomp_filter = UnsafeRawPointer(array(filter))
            raw.seccomp_len = UInt16(filter.count / 8)
            raw.seccomp_flags = plan.seccompFlags
            raw.seccomp_notify = plan.seccompListener == nil ? 0 : 1
            raw.seccomp_before_start = plan.seccompBeforeStart && plan.noNewPrivileges && plan.seccompListener == nil
                && plan.startContainerHooks.isEmpty ? 1 : 0
        }
    }

    deinit {
        for p in allocations { free(p) }
    }

    private func string(_ s: String) -> UnsafePointer<CChar> {
        UnsafePointer(mutableString(s))
    }

    private func mutableString(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        allocations.append(UnsafeMutableRawPointer(p))
        return p
    }

    /// A NULL-terminated char*[] (argv, envp).
    private func stringArray(_ items: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        array(items.map { Optional(mutableString($0)) } + [nil])
    }

    private func array<T>(_ items: [T]) -> UnsafePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(items.count, 1))
        p.initialize(from: items, count: items.count)
        allocations.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }

    private func mount(_ m: LaunchPlan.Mount) -> husk_mount {
        var c = husk_mount()
        c.source = m.source.map(string)
        c.destination = string(m.destination)
        c.fstype = m.fstype.map(string)
        c.data = m.data.map(string)
        c.flags = m.flags
        var prop: [UInt] = Array(m.propagation.prefix(3))
        while prop.count < 4 { prop.append(0) }
        c.propagation = (prop[0], prop[1], prop[2], prop[3])
        c.attr_set = m.attrSet
        c.attr_clr = m.attrClear
        c.bind = m.bind ? 1 : 0
        c.idmap_fd = m.idmapFD
        return c
    }

    private func hook(_ h: LaunchPlan.Hook) -> husk_hook {
        husk_hook(path: string(h.path), argv: stringArray(h.args), envp: stringArray(h.env), timeout_sec: Int32(h.timeout))
    }
}
