import OCI
import Seccomp
import Sys

/// Turns a validated config into a LaunchPlan: the policy half of container setup.
/// Pure apart from reading the host's cgroup layout (for a `cgroup` mount).
public struct PlanBuilder {
    public var spec: Spec
    public var bundle: String
    public var rootfs: String
    public var noPivot = false
    /// The host's cgroup layout; nil: read only if a `cgroup` mount needs it (not on the hot path).
    public var hostCgroups: HostCgroups? = nil
    /// The container's own cgroup directories (v1: one per hierarchy), bound read-only
    /// into a `cgroup` mount; empty: husk's own (before cgroups are placed).
    public var containerCgroupPaths: [String] = []
    /// Where compiled seccomp filters are kept between runs (the state root); nil: compile every time.
    public var seccompCacheDir: String? = nil

    /// `"up"`: bring `lo` up in the container's new network namespace.
    public static let loopbackAnnotation = "org.husk.loopback"

    public init(spec: Spec, bundle: String, rootfs: String) {
        self.spec = spec
        self.bundle = bundle
        self.rootfs = rootfs
    }

    public func build() throws(HuskError) -> LaunchPlan {
        var plan = LaunchPlan()
        let linux = spec.linux ?? Linux()
        try namespaces(linux, &plan)
        plan.rootfs = rootfs
        // Without a mount namespace husk must not mount anything: the mounts would land in
        // the host's namespace. The container then just gets a chroot (runc does the same).
        plan.chrootOnly = plan.cloneFlags & UInt64(HuskNamespace.mount.flag) == 0
            && !plan.joins.contains(where: { $0.type == HuskNamespace.mount.flag })
        // CVE-2019-5736: see husk_plan.non_dumpable (spawn.c says why not with a user namespace).
        plan.nonDumpable = !plan.newUserNamespace && !plan.joins.contains(where: { $0.type == HuskNamespace.user.flag })
        plan.readonlyRoot = spec.root?.readonly ?? false
        plan.noPivot = noPivot
        plan.rootfsPropagation = try propagation(linux.rootfsPropagation)
        let ownCgroupNS = plan.cloneFlags & UInt64(HuskNamespace.cgroup.flag) != 0
        for (i, m) in spec.mounts.enumerated() { plan.mounts += try mounts(m, index: i, cgroupNamespace: ownCgroupNS) }
        if plan.newUserNamespace { plan.mounts = plan.mounts.map { Self.inUserNamespace($0, plan) } }
        for (i, d) in linux.devices.enumerated() { plan.devices.append(try device(d, index: i)) }
        plan.maskedPaths = linux.maskedPaths
        plan.readonlyPaths = linux.readonlyPaths
        for key in linux.sysctl.keys.sorted() {
            try checkSysctl(key, plan)
            plan.sysctls.append(("/proc/sys/" + key.replacingDots(), linux.sysctl[key]!))
        }
        let hasUTS = plan.cloneFlags & UInt64(HuskNamespace.uts.flag) != 0
            || plan.joins.contains(where: { $0.type == HuskNamespace.uts.flag })
        if let h = spec.hostname, !h.isEmpty {
            guard hasUTS else { throw HuskError("config.json: hostname: setting a hostname needs a uts namespace in linux.namespaces") }
            plan.hostname = h
        }
        if let d = spec.domainname, !d.isEmpty {
            guard hasUTS else { throw HuskError("config.json: domainname: setting a domainname needs a uts namespace in linux.namespaces") }
            plan.domainname = d
        }
        // husk's extension (sandboxes use it): loopback up in a network namespace of our own.
        if spec.annotations[Self.loopbackAnnotation] == "up" {
            plan.loopbackUp = plan.cloneFlags & UInt64(HuskNamespace.network.flag) != 0
        }
        if let hooks = spec.hooks {
            plan.createContainerHooks = hooks.createContainer.map(Self.hook)
            plan.startContainerHooks = hooks.startContainer.map(Self.hook)
        }
        if let process = spec.process { try self.process(process, linux, &plan) }
        if let profile = linux.seccomp { try seccomp(profile, &plan) }
        return plan
    }

    /// Only namespaced sysctls may be set, and only when the container has that namespace
    /// (otherwise the write would change the host), as runc checks.
    private func checkSysctl(_ key: String, _ plan: LaunchPlan) throws(HuskError) {
        func has(_ ns: HuskNamespace) -> Bool {
            plan.cloneFlags & UInt64(ns.flag) != 0 || plan.joins.contains(where: { $0.type == ns.flag })
        }
        let ipcKeys: Set = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                            "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]
        let needed: HuskNamespace
        if ipcKeys.contains(key) || key.hasPrefix("fs.mqueue.") { needed = .ipc }
        else if key.hasPrefix("net.") { needed = .network }
        else if key == "kernel.hostname" || key == "kernel.domainname" { needed = .uts }
        else { throw HuskError("config.json: linux.sysctl[\"\(key)\"]: not a namespaced sysctl; setting it would change the host") }
        if !has(needed) {
            throw HuskError("config.json: linux.sysctl[\"\(key)\"]: needs its own \(needed.rawValue) namespace in linux.namespaces")
        }
    }

    /// A plan for `exec`: join every namespace of the running container (through init's
    /// /proc/PID/ns), then set up `process` with the container's security settings.
    public func buildExec(process: Process, initPid: Int32) throws(HuskError) -> LaunchPlan {
        var plan = LaunchPlan()
        let linux = spec.linux ?? Linux()
        plan.defaultDevices = false
        plan.nonDumpable = true
        for ns in linux.namespaces {
            guard let kind = HuskNamespace(rawValue: ns.type) else { continue }
            plan.joins.append((kind.flag, "/proc/\(initPid)/ns/\(kind.procName)"))
        }
        try self.process(process, linux, &plan)
        if let profile = linux.seccomp { try seccomp(profile, &plan) }
        return plan
    }

    static func hook(_ h: Hook) -> LaunchPlan.Hook {
        LaunchPlan.Hook(path: h.path, args: h.args ?? [h.path], env: h.env ?? [], timeout: h.timeout ?? 0)
    }

    private func namespaces(_ linux: Linux, _ plan: inout LaunchPlan) throws(HuskError) {
        for (i, ns) in linux.namespaces.enumerated() {
            guard let kind = HuskNamespace(rawValue: ns.type) else {
                throw HuskError("config.json: linux.namespaces[\(i)].type: unknown namespace type \"\(ns.type)\"")
            }
            if let path = ns.path, !path.isEmpty {
                guard Files.exists(path) else {
                    throw HuskError("config.json: linux.namespaces[\(i)].path: \(path) does not exist")
                }
                plan.joins.append((kind.flag, path))
            } else if kind == .time {
                plan.newTimeNamespace = true
            } else {
                plan.cloneFlags |= UInt64(kind.flag)
            }
        }
        plan.uidMappings = linux.uidMappings.map { IDMapping(containerID: $0.containerID, hostID: $0.hostID, size: $0.size) }
        plan.gidMappings = linux.gidMappings.map { IDMapping(containerID: $0.containerID, hostID: $0.hostID, size: $0.size) }
        if plan.newUserNamespace && (plan.uidMappings.isEmpty || plan.gidMappings.isEmpty) {
            throw HuskError("config.json: linux.uidMappings/gidMappings: a new user namespace needs both mappings")
        }
        for (key, index) in [("monotonic", 0), ("boottime", 1)] {
            if let off = linux.timeOffsets[key] { plan.timeOffsets[index] = [off.secs, Int64(off.nanosecs)] }
        }
    }

    private func propagation(_ name: String?) throws(HuskError) -> UInt {
        guard let name, !name.isEmpty else { return 0 }
        let rec = MountFlag.recursive
        switch name {
        case "shared", "rshared": return MountFlag.shared | rec
        case "slave", "rslave": return MountFlag.slave | rec
        case "private", "rprivate": return MountFlag.private | rec
        case "unbindable", "runbindable": return MountFlag.unbindable | rec
        default: throw HuskError("config.json: linux.rootfsPropagation: unknown value \"\(name)\" (shared, slave, private or unbindable)")
        }
    }

    private func mounts(_ m: Mount, index: Int, cgroupNamespace: Bool) throws(HuskError) -> [LaunchPlan.Mount] {
        let field = "config.json: mounts[\(index)]"
        guard m.destination.hasPrefix("/") else {
            throw HuskError("\(field).destination: \"\(m.destination)\" is not an absolute path")
        }
        let opts = MountOptions.parse(m.options)
        if m.type == "cgroup" || m.type == "cgroup2" { return cgroupMounts(m, opts, cgroupNamespace: cgroupNamespace) }
        let wantsIDMap = opts.idmap || !(m.uidMappings ?? []).isEmpty
        if wantsIDMap && !(opts.isBind || m.type == "bind") {
            throw HuskError("\(field): id-mapped mounts (idmap, ridmap, uidMappings) must be bind mounts")
        }
        var out = LaunchPlan.Mount(destination: m.destination)
        out.flags = opts.flags
        out.propagation = opts.propagation
        out.attrSet = opts.recursiveAttrSet
        out.attrClear = opts.recursiveAttrClear
        out.bind = opts.isBind || m.type == "bind"
        if out.bind {
            guard let source = m.source, !source.isEmpty else { throw HuskError("\(field).source: a bind mount needs a source") }
            out.source = Files.absolute(source, relativeTo: bundle)
            out.flags |= MountFlag.bind | (opts.isRecursiveBind ? MountFlag.recursive : 0)
            guard Files.exists(out.source!) else {
                throw HuskError("\(field).source: bind mount source \(out.source!) does not exist")
            }
            out.idmap = try idmap(m, opts, field: field)
        } else {
            out.fstype = m.type ?? m.source
            out.source = m.source ?? m.type
            out.data = opts.data.isEmpty ? nil : opts.data
        }
        return [out]
    }

    /// The mount's own mappings, or with just `idmap`/`ridmap` the container's user namespace
    /// mappings (as runc does); nil for an ordinary bind.
    private func idmap(_ m: Mount, _ opts: MountOptions, field: String) throws(HuskError) -> LaunchPlan.IDMap? {
        func plain(_ maps: [LinuxIDMapping]) -> [IDMapping] { maps.map { IDMapping(containerID: $0.containerID, hostID: $0.hostID, size: $0.size) } }
        var uid = plain(m.uidMappings ?? []), gid = plain(m.gidMappings ?? [])
        guard opts.idmap || !uid.isEmpty else { return nil }
        if uid.isEmpty {
            let linux = spec.linux ?? Linux()
            guard !linux.uidMappings.isEmpty, !linux.gidMappings.isEmpty else {
                throw HuskError("\(field).options: idmap without uidMappings/gidMappings uses the container's user namespace "
                    + "mappings, and linux.uidMappings/gidMappings are empty")
            }
            uid = plain(linux.uidMappings)
            gid = plain(linux.gidMappings)
        }
        return LaunchPlan.IDMap(uid: uid, gid: gid, recursive: opts.recursiveIdmap, field: String(field.dropFirst("config.json: ".count)))
    }

    /// What a new user namespace changes, as runc does: sysfs cannot be mounted without a
    /// network namespace of that user namespace, so /sys is bound (rbind) instead; devpts and
    /// mqueue options naming a gid/uid that is not mapped (`gid=5` for a rootless user) are
    /// dropped, or the mount would fail with EINVAL.
    static func inUserNamespace(_ m: LaunchPlan.Mount, _ plan: LaunchPlan) -> LaunchPlan.Mount {
        var out = m
        if !m.bind, m.fstype == "sysfs", plan.cloneFlags & UInt64(HuskNamespace.network.flag) == 0 {
            out.bind = true
            out.source = "/sys"
            out.fstype = nil
            out.data = nil
            out.flags = MountFlag.bind | MountFlag.recursive | m.flags
            return out
        }
        if !m.bind, m.fstype == "devpts" || m.fstype == "mqueue", let data = m.data {
            func mapped(_ id: UInt32, _ maps: [IDMapping]) -> Bool {
                maps.contains { UInt64($0.containerID) <= UInt64(id) && UInt64(id) < UInt64($0.containerID) + UInt64($0.size) }
            }
            let kept = data.split(separator: ",").filter { opt in
                if opt.hasPrefix("gid="), let id = UInt32(opt.dropFirst(4)) { return mapped(id, plan.gidMappings) }
                if opt.hasPrefix("uid="), let id = UInt32(opt.dropFirst(4)) { return mapped(id, plan.uidMappings) }
                return true
            }
            out.data = kept.isEmpty ? nil : kept.joined(separator: ",")
        }
        return out
    }

    /// A `cgroup` mount: cgroup2 on a v2 host; on v1/hybrid hosts a tmpfs holding read-only
    /// binds of husk's own cgroup in each hierarchy (the view runc gives).
    private func cgroupMounts(_ m: Mount, _ opts: MountOptions, cgroupNamespace: Bool) -> [LaunchPlan.Mount] {
        let flags = opts.flags
        // The host's own layout (a read of /proc/self/cgroup and a stat per line) only when
        // the container has no cgroup paths of its own to show.
        if hostCgroups?.unified ?? HostCgroups.unifiedHost {
            // A fresh cgroup2 mount shows the namespace's root: the container's own cgroup
            // with a cgroup namespace, the host's whole tree without one. Then (as runc) bind
            // just the container's cgroup instead.
            if !cgroupNamespace, let own = containerCgroupPaths.first {
                var bind = LaunchPlan.Mount(source: own, destination: m.destination)
                bind.bind = true
                bind.flags = MountFlag.bind | (flags & ~(MountFlag.bind | MountFlag.recursive))
                return [bind]
            }
            var mount = LaunchPlan.Mount(source: "cgroup2", destination: m.destination, fstype: "cgroup2")
            mount.flags = flags
            return [mount]
        }
        var tmpfs = LaunchPlan.Mount(source: "tmpfs", destination: m.destination, fstype: "tmpfs", data: "mode=755")
        tmpfs.flags = MountFlag.noSuid | MountFlag.noDev | MountFlag.noExec
        var out = [tmpfs]
        var hierarchies: [HostCgroups.Hierarchy] = []
        if containerCgroupPaths.isEmpty {
            hierarchies = (hostCgroups ?? .current).hierarchies
        } else {
            // "/sys/fs/cgroup/cpu,cpuacct/x/y" → hierarchy "cpu,cpuacct"
            hierarchies = containerCgroupPaths.compactMap { path in
                let rest = path.dropFirst("/sys/fs/cgroup/".count)
                guard path.hasPrefix("/sys/fs/cgroup/"), let name = rest.split(separator: "/").first else { return nil }
                return HostCgroups.Hierarchy(name: String(name), hostPath: path)
            }
        }
        for h in hierarchies {
            var bind = LaunchPlan.Mount(source: h.hostPath, destination: m.destination + "/" + h.name)
            bind.bind = true
            bind.flags = MountFlag.bind | MountFlag.recursive | (flags & ~(MountFlag.bind | MountFlag.recursive))
            out.append(bind)
        }
        return out
    }

    private func device(_ d: LinuxDevice, index: Int) throws(HuskError) -> LaunchPlan.Device {
        let type: UInt32
        switch d.type {
        case "c", "u": type = 0o020000
        case "b": type = 0o060000
        case "p": type = 0o010000
        default: throw HuskError("config.json: linux.devices[\(index)].type: unknown device type \"\(d.type)\"")
        }
        return LaunchPlan.Device(path: d.path, mode: type | ((d.fileMode ?? 0o666) & 0o7777),
                                 major: UInt32(truncatingIfNeeded: d.major ?? 0), minor: UInt32(truncatingIfNeeded: d.minor ?? 0),
                                 uid: d.uid ?? 0, gid: d.gid ?? 0)
    }

    private func process(_ p: Process, _ linux: Linux, _ plan: inout LaunchPlan) throws(HuskError) {
        guard !p.args.isEmpty else { throw HuskError("config.json: process.args: must name the program to run") }
        plan.args = p.args
        plan.env = p.env
        plan.cwd = p.cwd.isEmpty ? "/" : p.cwd
        plan.terminal = p.terminal
        if let size = p.consoleSize { plan.consoleSize = (UInt16(clamping: size.width), UInt16(clamping: size.height)) }
        plan.uid = p.user.uid
        plan.gid = p.user.gid
        plan.additionalGids = p.user.additionalGids
        plan.umask = p.user.umask.map { Int32($0 & 0o777) } ?? -1
        plan.noNewPrivileges = p.noNewPrivileges
        plan.oomScoreAdj = p.oomScoreAdj.map { Int32(clamping: $0) }
        plan.rlimits = try p.rlimits.enumerated().map { (i, r) throws(HuskError) in
            guard let res = Rlimits.resource(of: r.type) else {
                throw HuskError("config.json: process.rlimits[\(i)].type: unknown rlimit \"\(r.type)\"")
            }
            return LaunchPlan.Rlimit(name: r.type, resource: res, soft: r.soft, hard: r.hard)
        }
        if let caps = p.capabilities {
            do {
                plan.capabilities = LaunchPlan.Capabilities(
                    bounding: try Capabilities.mask(caps.bounding), effective: try Capabilities.mask(caps.effective),
                    permitted: try Capabilities.mask(caps.permitted), inheritable: try Capabilities.mask(caps.inheritable),
                    ambient: try Capabilities.mask(caps.ambient))
            } catch {
                throw HuskError("config.json: process.capabilities: \(error)")
            }
        }
        if let io = p.ioPriority {
            let classes = ["IOPRIO_CLASS_RT": Int32(1), "IOPRIO_CLASS_BE": 2, "IOPRIO_CLASS_IDLE": 3]
            guard let cls = classes[io.class] else {
                throw HuskError("config.json: process.ioPriority.class: unknown class \"\(io.class)\"")
            }
            plan.ioPriority = (cls << 13) | io.priority
        }
        if let s = p.scheduler { plan.scheduler = try scheduler(s) }
        if let persona = linux.personality {
            switch persona.domain {
            case "LINUX": plan.personality = 0
            case "LINUX32": plan.personality = 0x0008
            default: throw HuskError("config.json: linux.personality.domain: unknown domain \"\(persona.domain)\"")
            }
        }
        if let profile = p.apparmorProfile, !profile.isEmpty, !HostSecurity.apparmorEnabled {
            throw HuskError("config.json: process.apparmorProfile: \"\(profile)\" requested but AppArmor is not enabled on this host")
        }
        if let label = p.selinuxLabel, !label.isEmpty, !HostSecurity.selinuxEnabled {
            throw HuskError("config.json: process.selinuxLabel: \"\(label)\" requested but SELinux is not enabled on this host")
        }
    }

    /// Compiled to BPF here, in the parent; the child only loads it.
    private func seccomp(_ profile: LinuxSeccomp, _ plan: inout LaunchPlan) throws(HuskError) {
        let compiled: CompiledSeccomp
        do {
            compiled = try seccompCacheDir.map { SeccompCache(dir: $0) }?.compile(profile) ?? SeccompCompiler.compile(profile)
        } catch {
            throw HuskError("config.json: \(error)")
        }
        if compiled.needsNotify {
            guard let path = profile.listenerPath, !path.isEmpty else {
                throw HuskError("config.json: linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY rules "
                    + "(the unix socket of the seccomp agent that answers the notified syscalls)")
            }
            try SeccompListener.check(path)
            plan.seccompListener = SeccompListener(path: path, metadata: profile.listenerMetadata)
        }
        plan.seccompFilter = compiled.filter
        plan.seccompFlags = compiled.flags
    }

    private func scheduler(_ s: Scheduler) throws(HuskError) -> LaunchPlan.Scheduler {
        let policies: [String: Int32] = ["SCHED_OTHER": 0, "SCHED_FIFO": 1, "SCHED_RR": 2, "SCHED_BATCH": 3,
                                         "SCHED_ISO": 4, "SCHED_IDLE": 5, "SCHED_DEADLINE": 6]
        let flagBits: [String: UInt64] = ["SCHED_FLAG_RESET_ON_FORK": 1, "SCHED_FLAG_RECLAIM": 2, "SCHED_FLAG_DL_OVERRUN": 4,
                                          "SCHED_FLAG_KEEP_POLICY": 8, "SCHED_FLAG_KEEP_PARAMS": 16,
                                          "SCHED_FLAG_UTIL_CLAMP_MIN": 32, "SCHED_FLAG_UTIL_CLAMP_MAX": 64]
        guard let policy = policies[s.policy] else {
            throw HuskError("config.json: process.scheduler.policy: unknown policy \"\(s.policy)\"")
        }
        var out = LaunchPlan.Scheduler(policy: policy)
        out.priority = s.priority ?? 0
        out.nice = s.nice ?? 0
        for f in s.flags {
            guard let bit = flagBits[f] else { throw HuskError("config.json: process.scheduler.flags: unknown flag \"\(f)\"") }
            out.flags |= bit
        }
        out.runtime = s.runtime ?? 0
        out.deadline = s.deadline ?? 0
        out.period = s.period ?? 0
        return out
    }
}

extension String {
    /// "net.ipv4.ip_forward" → "net/ipv4/ip_forward" (sysctl names to /proc/sys paths).
    func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }
}
