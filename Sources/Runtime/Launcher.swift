import CHusk
import Glibc
import JSON
import OCI
import Sys

/// Runs the parent side of the launch protocol: spawns the child (see CHusk/spawn.c),
/// answers its requests (id maps, runtime hooks) and turns its reports into errors
/// that name the stage. On any failure the child is killed and reaped: nothing is left.
public struct Launcher {
    var plan: LaunchPlan
    var stateDirFD: Int32 = -1
    var consoleFD: Int32 = -1
    var preserveFDs: Int32 = 0
    /// The listening ns.sock of a rootless container (CHusk/child_nsserver.c), or -1.
    var nsServerFD: Int32 = -1
    /// Called when the child paused for prestart/createRuntime hooks (with the init pid);
    /// returns the state JSON the in-container hooks get on stdin.
    var runtimeHooks: ((Int32) throws(HuskError) -> [UInt8])? = nil
    /// The container's state for a seccomp agent (plan.seccompListener), given the pid of the
    /// process whose filter it gets.
    var agentState: ((Int32) -> JSONValue)? = nil
    var ociVersion = OCIVersion.current

    /// A started child: its pid, a pidfd (or -1), and our end of the sync socket.
    public struct Launched: Sendable {
        public var pid: Int32
        public var pidfd: Int32
        public var sync: Int32
        /// The pty relay of a foreground `run` at a terminal.
        var relay: TerminalRelay? = nil
        /// Init waits for `start` on the sync socket, not on an exec.fifo (LaunchPlan.startBySync).
        var startBySync = false
    }

    /// Spawns and runs the protocol until the child waits on the start fifo (create), or,
    /// without a fifo, until execve succeeded (exec).
    func launch() throws(HuskError) -> Launched {
        var pair: [Int32] = [-1, -1]
        if husk_socketpair_seqpacket(&pair) != 0 { throw HuskError(SysError("socketpair"), stage: "spawn") }
        var needsHookPause = plan.createContainerHooks.count + plan.startContainerHooks.count > 0
        needsHookPause = needsHookPause || runtimeHooks != nil
        var cplanPlan = plan
        if !needsHookPause { cplanPlan.createContainerHooks = []; cplanPlan.startContainerHooks = [] }
        let cplan = CPlan(cplanPlan, fds: .init(sync: pair[1], stateDir: stateDirFD, console: consoleFD, preserve: preserveFDs, nsServer: nsServerFD))
        cplan.raw.wait_go_for_hooks = needsHookPause ? 1 : 0
        var pidfd: Int32 = -1
        let direct = withUnsafePointer(to: &cplan.raw) { husk_spawn($0, &pidfd) }
        close(pair[1])
        let sync = pair[0]
        if direct < 0 {
            close(sync)
            throw HuskError(SysError("clone", errno: -direct), stage: "spawn")
        }
        var launched = Launched(pid: plan.joins.isEmpty ? direct : 0, pidfd: plan.joins.isEmpty ? pidfd : -1, sync: sync)
        launched.startBySync = plan.startBySync
        do {
            try converse(&launched, intermediate: plan.joins.isEmpty ? nil : direct)
        } catch {
            abort(launched, intermediate: plan.joins.isEmpty ? nil : direct, pidfd: pidfd)
            throw error
        }
        if !plan.joins.isEmpty && pidfd >= 0 { close(pidfd) }
        withExtendedLifetime(cplan) {}
        return launched
    }

    private func converse(_ launched: inout Launched, intermediate: Int32?) throws(HuskError) {
        var pendingIDMap = false
        var intermediateReaped = intermediate == nil
        while true {
            var msg = husk_msg()
            var passed: Int32 = -1
            let n = husk_recv_msg_fd(launched.sync, &msg, -1, &passed)
            if n < 0 { throw HuskError(SysError("read sync socket", errno: Int32(-n)), stage: "spawn") }
            defer { if passed >= 0 { close(passed) } }
            if n == 0 {
                // EOF: execve succeeded (no fifo), or the child died without a word.
                if stateDirFD < 0 && launched.pid > 0 { return }
                throw HuskError("container init exited during setup without reporting an error\(exitDescription(launched.pid))")
            }
            switch msg.kind {
            case Int32(HUSK_MSG_INIT_PID.rawValue):
                launched.pid = msg.err
                launched.pidfd = husk_pidfd_open(msg.err)
                if let intermediate, !intermediateReaped {
                    var status: Int32 = 0
                    while waitpid(intermediate, &status, 0) < 0 && errno == EINTR {}
                    intermediateReaped = true
                }
                if pendingIDMap { try answerIDMap(launched) ; pendingIDMap = false }
            case Int32(HUSK_MSG_NEED_IDMAP.rawValue):
                if launched.pid == 0 { pendingIDMap = true } else { try answerIDMap(launched) }
            case Int32(HUSK_MSG_NEED_HOOKS.rawValue):
                let state = try runtimeHooks?(launched.pid) ?? [0x7B, 0x7D]
                go(launched.sync, payload: state)
            case Int32(HUSK_MSG_SECCOMP_FD.rawValue):
                guard passed >= 0, let listener = plan.seccompListener else {
                    throw HuskError("container init sent a seccomp listener message without a listener fd (stage: seccomp notify)")
                }
                let state = agentState?(launched.pid) ?? .object(JSONObject())
                try listener.send(fd: passed, payload: SeccompListener.processState(
                    ociVersion: ociVersion, pid: launched.pid, metadata: listener.metadata, state: state))
            case Int32(HUSK_MSG_READY.rawValue):
                return
            case Int32(HUSK_MSG_ERROR.rawValue):
                throw explain(Self.initError(msg), msg)
            default:
                throw HuskError("container init sent an unknown message (kind \(msg.kind))")
            }
        }
    }

    /// Adds what husk can tell about a failure the child could only give an errno for.
    private func explain(_ error: HuskError, _ msg: husk_msg) -> HuskError {
        let stage = withUnsafeBytes(of: msg.stage) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if stage == "capset" || stage == "drop bounding capability", msg.err == EPERM, let caps = plan.capabilities {
            let wanted = caps.bounding | caps.effective | caps.permitted | caps.inheritable
            let missing = wanted & ~Self.ownBoundingSet()
            if missing != 0 {
                let names = (0..<64).filter { missing >> UInt64($0) & 1 != 0 }.map { Capabilities.allNames.indices.contains($0) ? Capabilities.allNames[$0] : "capability \($0)" }
                return HuskError(error.message + " (husk itself lacks \(names.joined(separator: ", ")): the host withholds it, so the container cannot have it)")
            }
        }
        return error
    }

    /// CapBnd of this process, from /proc/self/status.
    static func ownBoundingSet() -> UInt64 {
        let text = (try? Files.readString("/proc/self/status")) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("CapBnd:") {
            return UInt64(line.dropFirst(7).trimmingPrefix(while: { $0 == "\t" || $0 == " " }), radix: 16) ?? ~0
        }
        return ~0
    }

    private func answerIDMap(_ launched: Launched) throws(HuskError) {
        func render(_ maps: [IDMapping]) -> String {
            maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
        if Rootless.active {
            try Rootless.writeMaps(pid: launched.pid, uid: plan.uidMappings, gid: plan.gidMappings)
        }
        for (file, maps, field) in [("uid_map", plan.uidMappings, "linux.uidMappings"), ("gid_map", plan.gidMappings, "linux.gidMappings")] where !Rootless.active {
            let path = "/proc/\(launched.pid)/\(file)"
            do {
                try Files.write(path, render(maps), flags: O_WRONLY)
            } catch {
                throw HuskError("write \(path) (\(field)): \(errnoText(error.errno)) (stage: user namespace)")
            }
        }
        for procs in plan.cgroupJoinFiles {
            do {
                try Files.write(procs, String(launched.pid), flags: O_WRONLY)
            } catch {
                throw HuskError(error, stage: "cgroups")
            }
        }
        go(launched.sync)
    }

    private func go(_ sync: Int32, payload: [UInt8] = [1]) {
        _ = payload.withUnsafeBytes { send(sync, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Kills and reaps a launched child whose container could not be completed.
    static func reap(_ launched: Launched) {
        Glibc.kill(launched.pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(launched.pid, &status, 0) < 0 && errno == EINTR {}
        if launched.pidfd >= 0 { close(launched.pidfd) }
        close(launched.sync)
    }

    private func exitDescription(_ pid: Int32) -> String {
        guard pid > 0 else { return "" }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { return " (\(ExitStatus(raw: status)))" }
        return ""
    }

    private func abort(_ launched: Launched, intermediate: Int32?, pidfd: Int32) {
        for pid in [intermediate, launched.pid > 0 ? launched.pid : nil].compactMap({ $0 }) {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        if launched.pidfd >= 0 { close(launched.pidfd) }
        if pidfd >= 0 && pidfd != launched.pidfd { close(pidfd) }
        close(launched.sync)
    }

    /// `container init failed at stage "mount": proc on /proc: Operation not permitted`;
    /// a program that cannot be executed reads like a shell's error and exits 127/126.
    static func initError(_ msg: husk_msg) -> HuskError {
        let stage = withUnsafeBytes(of: msg.stage) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        let detail = withUnsafeBytes(of: msg.detail) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if stage == "exec" {
            switch msg.err {
            case ENOENT:
                return HuskError("exec: \"\(detail)\": executable file not found in $PATH: no such file or directory (stage: exec)", exitCode: 127)
            case EACCES:
                return HuskError("exec: \"\(detail)\": permission denied (stage: exec)", exitCode: 126)
            default:
                return HuskError("exec: \"\(detail)\": \(errnoText(msg.err)) (stage: exec)", exitCode: 126)
            }
        }
        let why = msg.err == 0 ? "" : ": \(errnoText(msg.err))"
        return HuskError("container init failed at stage \"\(stage)\": \(detail)\(why)")
    }
}

/// A wait(2) status in words, and as a shell-style exit code (128+N for signal N).
public struct ExitStatus: CustomStringConvertible, Sendable {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }

    public var signal: Int32? { (raw & 0x7f) != 0 && (raw & 0x7f) != 0x7f ? raw & 0x7f : nil }
    public var code: Int32 { signal.map { 128 + $0 } ?? ((raw >> 8) & 0xff) }
    public var description: String {
        if let s = signal { return "killed by signal \(s) (\(Signals.name(of: s)))" }
        return "exit status \(code)"
    }
}
