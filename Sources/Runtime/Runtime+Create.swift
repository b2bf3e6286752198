import CHusk
import Cgroups
import Glibc
import JSON
import OCI
import Sys

/// Options of `create` (and the create half of `run`), as runc names them.
public struct CreateOptions: Sendable {
    public var bundle: String
    public var pidFile: String?
    public var consoleSocket: String?
    public var preserveFDs: Int32 = 0
    public var noPivot = false
    /// Foreground `run`: with process.terminal and no --console-socket, husk takes the pty
    /// master itself and relays it (see TerminalRelay).
    var relayTerminal = false
    /// Created by `husk supervise`: the record names this process as the supervisor.
    var supervised = false
    /// The config already in memory (a sandbox builds it): used instead of reading
    /// `bundle/config.json` back, with the same checks; `bytes` go to the state dir.
    var config: (json: JSONValue, bytes: [UInt8])?
    /// Runs just before the clone, after the cgroups and the state dir exist (a sandbox waits
    /// here for its root, mounted meanwhile on another thread, and may adjust the plan).
    var beforeLaunch: (@Sendable (inout LaunchPlan) throws(HuskError) -> Void)?
    /// cgroup v1 controllers the container stays out of (see Cgroups.manager).
    var omitCgroupControllers: Set<String> = []
    /// The ID already claimed and the cgroup already started (beginCreate) with the resources
    /// the config names: create goes on from there, and undoes them if it fails.
    var head: CreateHead?
    /// The process that creates the container also starts it (startLaunched), as a sandbox
    /// does: init waits for a word on the sync socket instead of on an exec.fifo, which is
    /// never made (a mknod and an unlink less on the state root's filesystem). Meanwhile
    /// the container reads as running, and `husk start` cannot start it.
    var startInProcess = false

    public init(bundle: String) { self.bundle = bundle }
}

extension Runtime {
    /// Creates the container: init is set up and left waiting on the start fifo.
    /// On failure nothing remains: no state dir, no process, no mount.
    @discardableResult
    public func create(_ id: String, _ options: CreateOptions) throws(HuskError) -> Launcher.Launched {
        try createContainer(id, options).launched
    }

    /// What create made: init, the record saved for it and its cgroup's manager (a sandbox
    /// goes on with these instead of reading them back).
    struct CreatedContainer {
        var launched: Launcher.Launched
        var record: ContainerRecord
        var cgroup: any CgroupManager
        /// The config's poststart hooks (run and sandbox run them without reading it back).
        var poststart: [Hook]
    }

    func createContainer(_ id: String, _ options: CreateOptions) throws(HuskError) -> CreatedContainer {
        var head = options.head
        var created = false
        // Undone unless create succeeds: the claimed state dir and the cgroup.
        defer { if !created { head?.abandon(store) } }
        try ContainerID.validate(id)
        let bundle = Files.absolute(options.bundle)
        let spec: Spec
        let configBytes: [UInt8]
        if let config = options.config {
            spec = try checkedSpec { () throws(SpecError) in try Spec(json: config.json) }
            configBytes = config.bytes
        } else {
            (spec, configBytes) = try loadSpec(bundle: bundle)
        }
        let rootfs = try resolveRootfs(spec, bundle: bundle)
        // Rootless: no cgroup at all (limits are refused, see Rootless).
        let rootless = Rootless.active
        if rootless { try Rootless.checkResources(spec.linux?.resources) }
        // The ID is ours from here; the cgroup is made on another thread until placeInCgroup.
        let begun: CreateHead
        if let head { begun = head } else {
            begun = try beginCreate(id, cgroupsPath: spec.linux?.cgroupsPath, omitting: options.omitCgroupControllers,
                                    resources: CgroupSetup.resources(of: spec.linux ?? Linux()))
            head = begun
        }
        let dir = store.directory(of: id)
        let creatorCgroup = begun.creatorCgroup
        let cgroupSetup = begun.cgroup
        let manager = cgroupSetup.manager
        var builder = PlanBuilder(spec: spec, bundle: bundle, rootfs: rootfs)
        builder.noPivot = options.noPivot
        builder.seccompCacheDir = store.root
        builder.containerCgroupPaths = manager.paths
        // Rootless on cgroup v2 without a cgroup namespace: a `cgroup` mount binds the caller's
        // own cgroup read-only (a fresh cgroup2 mount needs the initial user namespace).
        if rootless, Cgroups.version == .v2, let own = Rootless.ownCgroupV2Path(creatorCgroup) {
            builder.containerCgroupPaths = [own]
        }
        var plan = try builder.build()
        if rootless { try Rootless.check(&plan) }
        var relay: TerminalRelay? = nil
        if plan.terminal && options.consoleSocket == nil && options.relayTerminal { relay = try TerminalRelay() }
        if plan.terminal && options.consoleSocket == nil && relay == nil {
            throw HuskError("config.json: process.terminal is true but no --console-socket was given (set terminal to false, or pass --console-socket)")
        }

        var consoleFD: Int32 = -1
        var stateDirFD: Int32 = -1
        var nsServerFD: Int32 = -1
        var idmapFDs: [Int32] = []
        defer {
            idmapFDs.forEach { close($0) }
            if consoleFD >= 0 { close(consoleFD) }
            if nsServerFD >= 0 { close(nsServerFD) }
            if stateDirFD >= 0 { close(stateDirFD) }
            if plan.cgroupFD >= 0 { close(plan.cgroupFD) }
        }
        do throws(HuskError) {
            idmapFDs = try IDMappedMounts.prepare(&plan)
            try placeInCgroup(cgroupSetup, &plan)
            plan.startBySync = options.startInProcess
            try prepareStateDir(dir, plan: plan, config: configBytes)
            stateDirFD = husk_open_path_dir(dir)
            if stateDirFD < 0 { throw HuskError(SysError("open", path: dir), stage: "state dir") }
            if rootless && plan.newUserNamespace {
                // Until start, `exec` cannot open init's /proc/PID/ns (see CHusk/child_nsserver.c).
                nsServerFD = husk_listen_unix_at(stateDirFD, "ns.sock")
                if nsServerFD < 0 { throw HuskError(SysError("listen", path: dir + "/ns.sock", errno: -nsServerFD), stage: "state dir") }
                chmod(dir + "/ns.sock", 0o600)
            }
            if let socket = options.consoleSocket { consoleFD = try ConsoleSocket.connect(socket) }
            else if let relay { consoleFD = relay.takeChildEnd() }

            var record = ContainerRecord(id: id, ociVersion: spec.ociVersion, pid: 0, initStartTime: 0, bundle: bundle,
                                         rootfs: rootfs, created: rfc3339Now(), owner: getuid(),
                                         annotations: spec.annotations.sorted(by: { $0.key < $1.key }).map { ($0.key, $0.value) })
            record.cgroupsPath = spec.linux?.cgroupsPath
            record.creatorCgroup = creatorCgroup
            record.noCgroup = rootless
            record.noPoststopHooks = spec.hooks?.poststop.isEmpty ?? true
            if options.supervised {
                record.supervisorPid = getpid()
                record.supervisorStartTime = Processes.startTime(of: getpid())
            }
            try options.beforeLaunch?(&plan)
            var launcher = Launcher(plan: plan)
            launcher.stateDirFD = stateDirFD
            launcher.consoleFD = consoleFD
            launcher.preserveFDs = options.preserveFDs
            launcher.nsServerFD = nsServerFD
            launcher.ociVersion = spec.ociVersion
            launcher.agentState = { (pid: Int32) -> JSONValue in
                var r = record
                r.pid = pid
                return r.ociState(.creating)
            }
            let hooks = spec.hooks ?? Hooks()
            if !(hooks.prestart.isEmpty && hooks.createRuntime.isEmpty && hooks.createContainer.isEmpty && hooks.startContainer.isEmpty) {
                launcher.runtimeHooks = { (pid: Int32) throws(HuskError) -> [UInt8] in
                    var r = record
                    r.pid = pid
                    // runtime-tools and crun hand "created" to the create-time hooks.
                    let state = stateBytes(r, .created)
                    try HookRunner.run(hooks.prestart, kind: "prestart", state: state)
                    try HookRunner.run(hooks.createRuntime, kind: "createRuntime", state: state)
                    return state
                }
            }
            let launched = try launcher.launch()
            do throws(HuskError) {
                record.pid = launched.pid
                record.initStartTime = Processes.startTime(of: launched.pid) ?? 0
                try store.save(record)
                if let pidFile = options.pidFile {
                    do {
                        try Files.writeAtomically(Files.absolute(pidFile), Array(String(launched.pid).utf8))
                    } catch {
                        throw HuskError(error, stage: "pid file")
                    }
                }
            } catch {
                Launcher.reap(launched)
                throw error
            }
            log.debug("created container \(id) with init pid \(launched.pid)")
            var result = launched
            result.relay = relay
            created = true
            return CreatedContainer(launched: result, record: record, cgroup: manager, poststart: spec.hooks?.poststart ?? [])
        } catch {
            relay?.close()
            throw error
        }
    }

    func loadSpec(bundle: String) throws(HuskError) -> (Spec, [UInt8]) {
        let path = bundle + "/config.json"
        let bytes: [UInt8]
        do {
            bytes = try Files.read(path)
        } catch {
            if error.errno == ENOENT && !Files.isDirectory(bundle) { throw HuskError("bundle \(bundle) does not exist") }
            throw HuskError("read \(path): \(errnoText(error.errno))")
        }
        return (try checkedSpec { () throws(SpecError) in try Spec.load(bytes: bytes) }, bytes)
    }

    /// The config decoded (by `decode`) and checked as create needs it.
    func checkedSpec(_ decode: () throws(SpecError) -> Spec) throws(HuskError) -> Spec {
        let spec: Spec
        do {
            spec = try decode()
            try spec.validate()
        } catch {
            throw HuskError(error.description)
        }
        if spec.process == nil { throw HuskError("config.json: process: required to create a container") }
        try ParentIDRanges.check(spec)
        return spec
    }

    func resolveRootfs(_ spec: Spec, bundle: String) throws(HuskError) -> String {
        let root = Files.absolute(spec.root?.path ?? "", relativeTo: bundle)
        guard Files.isDirectory(root) else {
            throw HuskError("config.json: root.path: rootfs directory \(root) does not exist")
        }
        do {
            return try Files.realPath(root)
        } catch {
            throw HuskError(error, stage: "rootfs")
        }
    }

    /// The start fifo (writable by the container's root, which may be an unprivileged host
    /// uid in a user namespace) and a copy of the config for later hooks.
    private func prepareStateDir(_ dir: String, plan: LaunchPlan, config: [UInt8]) throws(HuskError) {
        if !plan.startBySync { try makeStartFifo(dir, plan: plan) }
        do {
            try Files.writeAtomically(dir + "/config.json", config, mode: 0o600)
        } catch {
            throw HuskError(error, stage: "state dir")
        }
    }

    private func makeStartFifo(_ dir: String, plan: LaunchPlan) throws(HuskError) {
        let fifo = dir + "/exec.fifo"
        if mkfifo(fifo, 0o622) != 0 { throw HuskError(SysError("mkfifo", path: fifo), stage: "state dir") }
        if plan.newUserNamespace {
            let uid = plan.uidMappings.first(where: { $0.containerID == 0 })?.hostID ?? 0
            let gid = plan.gidMappings.first(where: { $0.containerID == 0 })?.hostID ?? 0
            // An unprivileged user cannot give it to a subordinate uid: mode 0622 lets that one write.
            if chown(fifo, uid, gid) != 0 && !(Rootless.active && errno == EPERM) {
                throw HuskError(SysError("chown", path: fifo), stage: "state dir")
            }
        }
        chmod(fifo, 0o622)
    }
}
