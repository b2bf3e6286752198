import CHusk
import Cgroups
import Glibc
import JSON
import Sys
import Tar

/// `husk sandbox`: one command in a throw-away container, everything removed when it ends.
///
/// Built on the ordinary lifecycle (create → start → wait → delete) over a bundle made for the
/// occasion, `<tmp>/<id>`: its config goes to create in memory (the state dir keeps the copy
/// every later verb reads) and its `rootfs` is an overlayfs whose lower layer
/// is the given rootfs and whose upper/work dirs sit beside it (a read-only bind of the rootfs
/// when overlayfs cannot be mounted). After the command: the cgroup's accounting is read,
/// the container deleted, the upper dir optionally exported as an OCI layer, the overlay
/// unmounted and the dir removed.
///
/// Exit codes (documented in `husk sandbox --help` and the README):
/// the command's own code (128+N when killed by signal N); 124 when `--timeout` fired (as
/// timeout(1)); 123 when the command failed and the kernel OOM-killed a process of the
/// sandbox; 125 when the sandbox itself failed (bad flag, missing rootfs, setup error, as
/// podman); 126/127 when the command cannot be executed / is not found.
public enum SandboxExit {
    public static let timedOut: Int32 = 124
    public static let oomKilled: Int32 = 123
    public static let failure: Int32 = 125
}

/// The sandbox's init, for the handler that forwards signals (and the timeout).
nonisolated(unsafe) private var sandboxInit: Int32 = 0
/// The last signal husk received and forwarded (0: none); the wait loop then starts the grace period.
nonisolated(unsafe) private var sandboxSignalled: Int32 = 0
/// How many stopping signals (INT, TERM, HUP, QUIT) arrived: a second one kills the cgroup at once.
nonisolated(unsafe) private var sandboxStopSignals: Int32 = 0

extension Runtime {
    /// Runs the sandbox; returns its exit code (see SandboxExit) and what happened. Setup
    /// failures throw (exit code 125, or 126/127 when the command cannot be executed).
    public func sandbox(_ options: SandboxOptions) throws(HuskError) -> SandboxResult {
        func fail(_ message: String) -> HuskError { HuskError("sandbox: " + message, exitCode: SandboxExit.failure) }
        guard !options.command.isEmpty else { throw fail("no command given (usage: husk sandbox [options] --rootfs DIR -- CMD …)") }
        // From here on a SIGINT/SIGTERM/SIGHUP/SIGQUIT never kills husk half-way: it is
        // recorded, forwarded to init once there is one, and ends the sandbox in order.
        let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        sandboxInit = 0
        sandboxSignalled = 0
        sandboxStopSignals = 0
        for s in forwarded {
            signal(s) { sig in
                if sandboxInit > 0 { Glibc.kill(sandboxInit, sig) }
                if sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT {
                    sandboxSignalled = sig
                    sandboxStopSignals += 1
                }
            }
        }
        defer {
            sandboxInit = 0
            for s in forwarded { signal(s, SIG_DFL) }
        }
        // The lower layer(s): the image's snapshots (top first for overlayfs), or the rootfs.
        let lower: String
        if options.layers.isEmpty {
            do {
                lower = try Files.realPath(options.rootfs)
            } catch {
                throw fail("--rootfs \(options.rootfs): \(errnoText(error.errno))")
            }
            guard Files.isDirectory(lower) else { throw fail("--rootfs \(options.rootfs) is not a directory") }
        } else {
            for dir in options.layers where !Files.isDirectory(dir) { throw fail("image layer \(dir) is missing") }
            lower = options.layers.reversed().joined(separator: ":")
        }
        let id = options.name ?? "sandbox-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        do { try ContainerID.validate(id) } catch { throw fail("--name: \(error.message)") }

        let dir = try makeSandboxDir(id, base: options.tmpDir)
        var watcherPid: Int32 = 0
        var watcherRegion = husk_watcher_region()
        // The root: overlay (lower = rootfs) when possible, else the rootfs itself read-only.
        // Made on another thread while create sets up cgroups and state; create waits for it
        // before the clone (beforeLaunch below).
        let root = SandboxRoot(dir: dir, lower: lower, layered: !options.layers.isEmpty,
                               overlayNeededFor: !options.layers.isEmpty ? "--image (stacking the image's layers)"
                                   : options.exportChanges != nil ? "--export-changes" : nil, log: log)
        var rootRemoved = false
        defer {
            root.wait()
            if !rootRemoved && Files.exists(dir) { removeSandboxDir(dir, mounted: root.mounted) }
            // All gone: the watcher has nothing left to do, and goes before husk does. (If the
            // dir stayed, it stays too, and tries again once husk has exited.)
            if watcherPid > 0 && !Files.exists(dir) {
                Glibc.kill(watcherPid, SIGKILL)
                var raw: Int32 = 0
                while waitpid(watcherPid, &raw, 0) < 0 && errno == EINTR {}
                husk_watcher_region_free(&watcherRegion)
            }
        }
        // The watcher outlives a SIGKILL of this process and then removes everything: a clone
        // that runs no Swift and sleeps on a pidfd of this husk; only if husk dies first does
        // it exec `husk … sandbox-cleanup DIR`. It exists before anything else of the sandbox.
        var owner = SandboxOwner(id: id, stateRoot: Files.absolute(store.root), pid: getpid(),
                                 startTime: Processes.startTime(of: getpid()) ?? 0, bootID: SandboxOwner.currentBootID(),
                                 creatorCgroup: Cgroups.ownCgroupText())
        if let watcher = options.watcher {
            (watcherPid, watcherRegion) = try forkWatcher(dir: dir, arguments: watcher + [dir])
            owner.watcherPid = watcherPid
            owner.watcherStartTime = Processes.startTime(of: watcherPid)
        }
        // Who owns this dir, for the watcher and --gc.
        do { try owner.save(dir: dir) } catch { throw fail("\(error)") }
        var result = SandboxResult()

        // Caches: persistent dirs, created on first use.
        let cacheBase = options.cacheDir ?? SandboxOptions.defaultCacheBase
        for case let .cache(name, _) in options.mounts {
            let path = cacheBase + "/" + name
            if !Files.isDirectory(path) {
                do { try Files.makeDirectories(path) } catch { throw fail("--cache \(name): \(error)") }
                if options.uid != 0 || options.gid != 0 { _ = chown(path, options.uid, options.gid) }
            }
        }
        for case let .bind(source, _, _) in options.mounts where !Files.exists(source) {
            throw fail("mount source \(source) does not exist")
        }

        // From here the root (overlay) and the container's cgroup are made on two more threads
        // while this one writes the config, decodes and checks it and builds the launch plan.
        do { try root.start() } catch { throw fail("\(error)") }
        var create = CreateOptions(bundle: dir)
        create.omitCgroupControllers = options.omittedCgroupControllers
        create.startInProcess = true
        // The ID claimed and the cgroup started (the config's linux.resources are these; it
        // names no device nodes).
        do {
            create.head = try beginCreate(id, cgroupsPath: nil, omitting: create.omitCgroupControllers,
                                          resources: Cgroups.resources(options.resources, allowingDevices: []))
        } catch {
            throw fail(error.message)
        }

        // Written for an overlay; should the root be the fallback bind after all, beforeLaunch
        // makes it read-only in the plan (the state dir's config.json then still says false).
        let spec = options.spec(rootReadOnly: options.readOnly, cgroupNamespace: Cgroups.version == .v2,
                                cacheHostPath: { cacheBase + "/" + $0 })
        if options.noStdin {
            let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
            if fd >= 0 { dup2(fd, 0); close(fd) }
        }

        create.config = (spec, Array(JSON.serialize(spec).utf8))
        create.beforeLaunch = { @Sendable (plan: inout LaunchPlan) throws(HuskError) in
            root.wait()
            if let failure = root.failure { throw HuskError(failure, exitCode: SandboxExit.failure) }
            if !root.overlay { plan.readonlyRoot = true }
            // husk's own default profile allows what init does after "ready".
            plan.seccompBeforeStart = true
        }
        // Once the command has ended, the root's unmount and removal (journal work on a disk)
        // overlap the accounting and the container's delete on another core. Not with
        // --export-changes, which reads the upper dir first.
        var removeAlongside: (@Sendable () -> Void)? = nil
        if options.exportChanges == nil {
            removeAlongside = { @Sendable [self] in removeSandboxDir(root.dir, mounted: root.mounted) }
        }
        do {
            try runSandboxed(id, create, options, &result, afterExit: removeAlongside)
        } catch {
            // A root that could not be made is the sandbox's own failure, reported as such.
            if let failure = root.wait().failure { throw fail(failure) }
            throw error
        }
        rootRemoved = removeAlongside != nil
        result.overlay = root.overlay

        if let file = options.exportChanges {
            do throws(SysError) {
                let path = Files.absolute(file)
                let fd = try retrying("create", path: path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
                defer { close(fd) }
                let tar = TarWriter(fd: fd, path: path)
                // The container is gone: unmount first so overlayfs has flushed everything into upper.
                if root.mounted { umount2(root.merged, 0) }
                try LayerDiff.export(upper: dir + "/upper", to: tar)
                try tar.finish()
                result.exportedChanges = path
            } catch {
                throw fail("--export-changes: \(error)")
            }
        }
        return result
    }

    /// create, start, wait (with the timeout), read the accounting, delete.
    /// `afterExit` runs on its own thread from the command's end until the container is deleted.
    private func runSandboxed(_ id: String, _ createOptions: CreateOptions, _ options: SandboxOptions,
                              _ result: inout SandboxResult, afterExit: (@Sendable () -> Void)?) throws(HuskError) {
        let tee: OutputTee?
        do throws(HuskError) {
            tee = try options.logFile.map { path throws(HuskError) in try OutputTee(path: path, log: log) }
            try tee?.redirect()
        } catch {
            createOptions.head?.abandon(store)
            throw HuskError("sandbox: " + error.message, exitCode: SandboxExit.failure)
        }
        let created: CreatedContainer
        do {
            defer { tee?.restore() }
            created = try createContainer(id, createOptions)
        } catch {
            throw HuskError("sandbox: " + error.message, exitCode: error.exitCode == 1 ? SandboxExit.failure : error.exitCode)
        }
        let launched = created.launched, record = created.record
        let cgroup: (any CgroupManager)? = record.noCgroup ? nil : created.cgroup
        defer {
            close(launched.sync)
            if launched.pidfd >= 0 { close(launched.pidfd) }
        }
        let oomBefore = cgroup?.oomKillCount()
        if sandboxSignalled != 0 {
            _ = try? delete(id, force: true)
            throw HuskError("sandbox: interrupted by signal \(sandboxSignalled) before the command started", exitCode: 128 + sandboxSignalled)
        }
        let started = monotonicMs()
        do throws(HuskError) {
            try startLaunched(record, launched)
        } catch {
            _ = try? delete(id, force: true)
            throw HuskError("sandbox: " + error.message, exitCode: error.exitCode == 1 ? SandboxExit.failure : error.exitCode)
        }

        sandboxInit = launched.pid

        // Wait, with the timeout: SIGTERM to every process of the sandbox (as timeout(1) signals
        // its process group), then after the grace period SIGKILL to the whole cgroup.
        var killAt: Int64? = nil
        if let t = options.timeoutMs { killAt = started + Int64(t) }
        // A CI runner cancelling the job (SIGTERM/SIGINT to husk): forwarded to init at once; an
        // init that ignores it (pid 1 of its namespace ignores unhandled signals) gets the cgroup
        // SIGKILLed after the grace period.
        var termSent = false
        var killSent = false
        let pidsCurrent = cgroup?.paths.map { $0 + "/pids.current" }.first(where: { Files.exists($0) })
        var pidsSeen: UInt64 = 0
        while true {
            let now = monotonicMs()
            if let pidsCurrent, let n = (try? Files.readString(pidsCurrent)).flatMap({ UInt64($0.filter(\.isNumber)) }) {
                pidsSeen = max(pidsSeen, n)
            }
            if sandboxSignalled != 0 && !termSent {
                termSent = true
                log.debug("sandbox \(id): signal \(sandboxSignalled) forwarded; SIGKILL in \(options.graceMs) ms")
                // Every process of the sandbox hears it (init got it from the handler already).
                try? kill(id, signal: sandboxSignalled, all: true)
                killAt = now + Int64(options.graceMs)
            }
            if sandboxStopSignals > 1 && !killSent {
                // Asked twice (Ctrl-C, Ctrl-C): no more grace.
                killSent = true
                log.debug("sandbox \(id): signalled again, killing the cgroup")
                try? kill(id, signal: SIGKILL, all: true)
            }
            let wait: Int32 = min(250, killAt.map { Int32(clamping: max(0, $0 - now)) } ?? 250)
            if let tee {
                if tee.pump(pidfd: launched.pidfd, timeoutMs: launched.pidfd >= 0 ? wait : 10),
                   launched.pidfd >= 0 { break }
                if launched.pidfd < 0 {
                    var raw: Int32 = 0
                    if waitpid(launched.pid, &raw, WNOHANG) == launched.pid { break }
                    if killAt == nil || monotonicMs() < killAt! { continue }
                }
            } else if launched.pidfd >= 0 {
                if waitExit(pidfd: launched.pidfd, timeoutMs: wait) { break }
            } else {
                var raw: Int32 = 0
                if waitpid(launched.pid, &raw, WNOHANG) == launched.pid { break }
                usleep(10_000)
                if killAt == nil || monotonicMs() < killAt! { continue }
            }
            guard let deadline = killAt, monotonicMs() >= deadline else { continue }
            if !termSent {
                termSent = true
                result.timedOut = true
                log.debug("sandbox \(id): timeout after \(options.timeoutMs ?? 0) ms, sending SIGTERM")
                try? kill(id, signal: SIGTERM, all: true)
                killAt = monotonicMs() + Int64(options.graceMs)
            } else {
                log.debug("sandbox \(id): grace period over, killing the cgroup")
                try? kill(id, signal: SIGKILL, all: true)
                killAt = nil
            }
        }
        // Init has exited, and with it every process of its pid namespace: the root is free.
        // Its removal starts before the reaping, which waits for the kernel to let go of the
        // namespace's /proc (an RCU grace period).
        let alongside = afterExit.map { BackgroundJob($0) }
        defer { alongside?.wait() }
        var raw: Int32 = 0
        while waitpid(launched.pid, &raw, 0) < 0 && errno == EINTR {}
        result.durationMs = monotonicMs() - started
        tee?.drain()
        let status = ExitStatus(raw: raw)
        result.signal = status.signal

        if let cgroup {
            let stats = cgroup.stats()
            result.cpuUserMs = stats.cpuUser.map { $0 / 1_000_000 }
            result.cpuSystemMs = stats.cpuKernel.map { $0 / 1_000_000 }
            if let m = stats.memory, m.max > 0 { result.memoryPeakBytes = m.max }
            // pids.peak sits beside pids.current (kernel 6.1+).
            let pidsPeak = pidsCurrent.map { String($0.dropLast("current".count)) + "peak" }
            result.pidsPeak = pidsPeak.flatMap { (try? Files.readString($0)).flatMap { UInt64($0.filter(\.isNumber)) } }
                ?? (pidsCurrent != nil ? pidsSeen : nil)
            result.ioReadBytes = stats.ioReadBytes
            result.ioWriteBytes = stats.ioWriteBytes
            result.pressure = stats.pressure
            if let before = oomBefore, let after = stats.oomKills ?? cgroup.oomKillCount() {
                result.oomKilled = after > before
            } else if status.signal == SIGKILL, let m = stats.memory {
                result.oomKilled = m.failcnt > 0 && m.limit > 0 && m.max >= m.limit
            }
        }
        do {
            try deleteReaped(record, cgroup: cgroup)
        } catch {
            log.warning("sandbox \(id): cleanup failed: \(error.message)")
        }
        if result.timedOut {
            result.exitCode = SandboxExit.timedOut
        } else if result.oomKilled && status.code != 0 {
            result.exitCode = SandboxExit.oomKilled
        } else {
            result.exitCode = status.code
        }
    }

    /// Starts the watcher (husk_fork_watcher): it holds a pidfd of this process and execs
    /// `/proc/self/exe ARGUMENTS` only if this process dies while `dir` still exists. Its
    /// region (stack and arguments) must stay mapped until it has been reaped.
    private func forkWatcher(dir: String, arguments: [String]) throws(HuskError) -> (pid: Int32, region: husk_watcher_region) {
        let me = husk_pidfd_open(getpid())
        guard me >= 0 else { throw HuskError(SysError("pidfd_open (own pid)"), stage: "sandbox watcher") }
        defer { close(me) }
        var region = husk_watcher_region()
        let pid = withHuskExecArrays(arguments) { argv, envp in husk_fork_watcher(me, dir, "/proc/self/exe", argv, envp, &region) }
        guard pid > 0 else { throw HuskError(SysError("clone", path: dir, errno: -pid), stage: "sandbox watcher") }
        return (pid, region)
    }

    /// `<base>/<id>`, mode 0700; base is --tmp-dir, else /var/lib/husk/sandboxes, else $TMPDIR or /tmp.
    private func makeSandboxDir(_ id: String, base: String?) throws(HuskError) -> String {
        var bases: [String] = []
        if let base { bases = [Files.absolute(base)] } else { bases = SandboxOptions.defaultBases() }
        var last = ""
        for b in bases {
            do {
                try Files.makeDirectories(b, mode: 0o700)
                let dir = b + "/" + id
                try retrying("mkdir", path: dir) { mkdir(dir, 0o700) }
                return dir
            } catch {
                last = error.description
            }
        }
        throw HuskError("sandbox: cannot make a temporary directory: \(last)", exitCode: SandboxExit.failure)
    }

    /// Unmounts the root (lazily if busy) and removes the dir; a root that stays mounted is
    /// left in place rather than emptied through the mount.
    private func removeSandboxDir(_ dir: String, mounted: Bool) {
        let merged = dir + "/rootfs"
        if mounted && umount2(merged, 0) != 0 && errno != EINVAL {
            if umount2(merged, Int32(MNT_DETACH)) != 0 {
                log.warning("sandbox: cannot unmount \(merged): \(errnoText(errno)); leaving \(dir)")
                return
            }
        }
        // What every sandbox dir holds (SandboxRoot's dirs, overlayfs's work dir with the marker
        // of a `volatile` mount, owner.json) goes by name, without listing; removeTree then finds
        // the dir empty, or removes what else there is (all the command wrote, in upper).
        unlink(dir + "/work/work/incompat/volatile/dirty")
        for sub in ["upper", "work/work/incompat/volatile", "work/work/incompat", "work/work", "work", "rootfs"] { rmdir(dir + "/" + sub) }
        unlink(dir + "/" + SandboxOwner.fileName)
        do {
            try Files.removeTree(dir)
        } catch {
            log.warning("sandbox: cannot remove \(dir): \(error)")
        }
    }
}
