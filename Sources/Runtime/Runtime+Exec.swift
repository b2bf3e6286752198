import CHusk
import Glibc
import JSON
import OCI
import Sys

/// What `exec` runs, as runc's flags or a --process file describe it.
public struct ExecOptions: Sendable {
    public var args: [String] = []
    /// A full runtime-spec Process (runc's --process FILE); flags below then override it.
    public var processJSON: [UInt8]?
    public var env: [String] = []
    public var cwd: String?
    /// USER[:GROUP]: numbers, or names looked up in the container's /etc/passwd and /etc/group.
    public var user: String?
    public var additionalGids: [UInt32] = []
    public var capabilities: [String] = []
    public var noNewPrivileges = false
    public var terminal = false
    public var consoleSocket: String?
    public var pidFile: String?
    public var preserveFDs: Int32 = 0
    public var detach = false
    /// runc's --ignore-paused: exec into a paused container anyway (the process starts frozen).
    public var ignorePaused = false

    public init() {}
}

extension Runtime {
    /// Runs a new process in a created or running container: joins its namespaces (in the
    /// C child, via an intermediate, see spawn.c) and gets its security settings. In the
    /// foreground returns the process's exit code; detached, 0 once it has exec'd.
    public func exec(_ id: String, _ options: ExecOptions) throws(HuskError) -> Int32 {
        let record = try store.load(id)
        let st = status(of: record)
        if st == .paused && !options.ignorePaused {
            throw HuskError("cannot exec in container \"\(id)\": container \(id) is paused; resume it first (husk resume \(id))")
        }
        guard st == .running || st == .created || st == .paused else {
            throw HuskError("cannot exec in container \"\(id)\": it is \(st.rawValue), not running")
        }
        guard let spec = savedSpec(of: id) else { throw HuskError("container \"\(id)\": saved config.json is missing or corrupt") }
        let process = try execProcess(spec, options, rootfs: record.rootfs)
        if process.terminal && options.consoleSocket == nil {
            throw HuskError("exec: a terminal (--tty) needs --console-socket for now")
        }
        var builder = PlanBuilder(spec: spec, bundle: record.bundle, rootfs: record.rootfs)
        builder.seccompCacheDir = store.root  // the default profile costs ~13 ms of libseccomp otherwise
        var plan = try builder.buildExec(process: process, initPid: record.pid)
        plan.cgroupJoinFiles = try cgroups(of: record).joinFiles
        // A user namespace whose gid_map was written without newgidmap (rootless) has
        // setgroups denied: calling it would fail.
        if (try? Files.readString("/proc/\(record.pid)/setgroups"))?.hasPrefix("deny") == true {
            if !plan.additionalGids.isEmpty {
                throw HuskError("exec: additional groups: setgroups is denied in the container's user namespace (a single own-gid mapping)")
            }
            plan.skipSetgroups = true
        }

        let joinFDs = st == .created && Rootless.active ? try createdNamespaces(id) : [:]
        defer { joinFDs.values.forEach { close($0) } }
        plan.joinFDs = joinFDs
        var consoleFD: Int32 = -1
        defer { if consoleFD >= 0 { close(consoleFD) } }
        if let socket = options.consoleSocket { consoleFD = try ConsoleSocket.connect(socket) }
        var launcher = Launcher(plan: plan)
        launcher.consoleFD = consoleFD
        launcher.preserveFDs = options.preserveFDs
        launcher.ociVersion = spec.ociVersion
        // The agent sees the exec'd process's pid and the container's own state.
        launcher.agentState = { _ in record.ociState(st) }
        // The container must still be the one we looked at (not a reused PID) when we join it.
        guard let initFD = openInit(record) else { throw HuskError("cannot exec in container \"\(id)\": it is not running") }
        close(initFD)
        let launched = try launcher.launch()
        defer {
            close(launched.sync)
            if launched.pidfd >= 0 { close(launched.pidfd) }
        }
        if let pidFile = options.pidFile {
            do {
                try Files.writeAtomically(Files.absolute(pidFile), Array(String(launched.pid).utf8))
            } catch {
                throw HuskError(error, stage: "pid file")
            }
        }
        if options.detach { return 0 }
        var raw: Int32 = 0
        while waitpid(launched.pid, &raw, 0) < 0 {
            if errno != EINTR { throw HuskError(SysError("waitpid", path: "pid \(launched.pid)"), stage: "exec") }
        }
        return ExitStatus(raw: raw).code
    }

    /// A created rootless container's namespaces, from its init's ns.sock: until start the
    /// unprivileged owner cannot open init's /proc/PID/ns (CHusk/child_nsserver.c says why).
    private func createdNamespaces(_ id: String) throws(HuskError) -> [Int32: Int32] {
        let dir = store.directory(of: id)
        guard Files.exists(dir + "/ns.sock") else { return [:] }
        let dirFD = husk_open_path_dir(dir)
        if dirFD < 0 { throw HuskError(SysError("open", path: dir), stage: "exec") }
        defer { close(dirFD) }
        var fds = [Int32](repeating: -1, count: Int(HUSK_NS_SERVER_MAX))
        var types = [Int32](repeating: 0, count: Int(HUSK_NS_SERVER_MAX))
        let n = husk_fetch_ns_fds(dirFD, "ns.sock", &fds, &types, HUSK_NS_SERVER_MAX)
        if n < 0 {
            throw HuskError("cannot exec in container \"\(id)\": its init's namespaces (\(dir)/ns.sock): \(errnoText(-n)) (stage: exec)")
        }
        var out: [Int32: Int32] = [:]
        for i in 0..<Int(n) { out[types[i]] = fds[i] }
        return out
    }

    /// The container's process settings, replaced by --process and overridden by flags.
    private func execProcess(_ spec: Spec, _ o: ExecOptions, rootfs: String) throws(HuskError) -> Process {
        var p: Process
        if let bytes = o.processJSON {
            let json: JSONValue
            do {
                json = try JSON.parse(bytes)
            } catch {
                throw HuskError("--process: invalid JSON at line \(error.line), column \(error.column): \(error.reason)")
            }
            do {
                p = try Process(json: json)
            } catch {
                var e = error
                e.document = "--process"
                throw HuskError(e.description)
            }
        } else {
            p = spec.process ?? Process()
            p.terminal = false
            p.args = o.args
        }
        if p.args.isEmpty { throw HuskError("exec: no command given (usage: husk exec ID COMMAND [ARG...])") }
        if o.terminal { p.terminal = true }
        p.env += o.env
        if let cwd = o.cwd { p.cwd = cwd }
        if let spec = o.user {
            let user = try ContainerUsers.resolve(spec, rootfs: rootfs)
            p.user.uid = user.uid
            p.user.gid = user.gid ?? p.user.gid
        }
        if !o.additionalGids.isEmpty { p.user.additionalGids = o.additionalGids }
        if !o.capabilities.isEmpty {
            var caps = p.capabilities ?? LinuxCapabilities()
            for c in o.capabilities {
                for keyPath in [\LinuxCapabilities.bounding, \.effective, \.permitted] where !caps[keyPath: keyPath].contains(c) {
                    caps[keyPath: keyPath].append(c)
                }
            }
            p.capabilities = caps
        }
        if o.noNewPrivileges { p.noNewPrivileges = true }
        return p
    }
}
