// The escape battery: attacks from inside a default container (runc-style config, husk's
// default seccomp profile) and through a crafted bundle, each of which must be blocked. Each
// attempt is also made where it should work — a privileged control container (all the
// capabilities the host grants, no seccomp, no pid namespace, no masked or read-only paths) or
// a plain host-side check — so a "blocked" can never come from an attempt that was broken to
// begin with. The test prints one line per attempt and `N attempts, N blocked`.
import Foundation
import JSON
import OCI
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One attack and what became of it.
struct Attempt {
    var name: String
    /// What happened where it must fail ("EPERM", "nothing outside the rootfs").
    var attack: String
    /// What happened where it must work.
    var control: String
    var blocked: Bool
    var real: Bool
    /// Why the attempt cannot be made on this host (it is then not counted).
    var notApplicable: String? = nil

    var line: String {
        if let why = notApplicable { return "n/a      \(name): \(why)" }
        return "\(blocked ? "blocked" : "ESCAPED") \(name): \(attack); control: \(control)\(real ? "" : " (NOT a real attempt)")"
    }
}

private func errnoName(_ e: Int) -> String {
    e == 0 ? "succeeded" : "\(String(cString: strerror(Int32(e)))) (\(e))"
}

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .enabled(if: Probe.available, "needs cc to build the in-container probe"),
       .disabled(if: Harness.isReference, "the battery's expectations are husk's (runc 1.1.5 predates the CVE-2024-21626 fix)"))
struct EscapeTests {
    /// All capabilities, in bit order (capability(7)).
    static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// The capabilities this process may pass on (CapBnd): the host may withhold some from root.
    static var grantableCapabilities: [String] {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") } ?? ""
        let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
        return allCapabilities.enumerated().filter { mask >> UInt64($0.offset) & 1 == 1 }.map(\.element)
    }

    /// A privileged container: where the in-container attacks must work.
    static func privileged(_ c: inout Config) {
        let caps = grantableCapabilities
        c.process["capabilities"] = ["bounding": caps, "effective": caps, "permitted": caps, "inheritable": caps]
        c.process["noNewPrivileges"] = false
        c.removeNamespace("pid")
        var linux = c.linux
        linux["seccomp"] = nil
        linux["maskedPaths"] = [String]()
        linux["readonlyPaths"] = [String]()
        linux["resources"] = ["devices": [["allow": true, "access": "rwm"]]]
        c.linux = linux
        c.mounts = c.mounts.map { m in
            var m = m
            if m["destination"] as? String == "/sys" { m["options"] = ["nosuid", "noexec", "nodev"] }
            return m
        }
    }

    @Test func battery() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        var attempts: [Attempt] = []
        attempts += try await inContainer(sb)
        attempts += try await throughTheBundle(sb)
        attempts += try await procSelfExe(sb)
        attempts += try await leakedFds(sb)

        let counted = attempts.filter { $0.notApplicable == nil }
        let blocked = counted.filter { $0.blocked && $0.real }
        print("escape battery:\n" + attempts.map { "  " + $0.line }.joined(separator: "\n"))
        let na = attempts.count - counted.count
        print("escape battery: \(counted.count) attempts, \(blocked.count) blocked"
              + (na > 0 ? " (\(na) not possible on this host, not counted)" : ""))
        for a in counted {
            #expect(a.blocked, "\(a.line)")
            #expect(a.real, "\(a.line)")
        }
        #expect(counted.count >= 18, "the battery ran: \(attempts.map(\.name))")
    }

    // MARK: from inside the container

    /// The probe's checks, run in a default container and in a privileged one.
    func inContainer(_ sb: Sandbox) async throws -> [Attempt] {
        let victim = try sb.startHelper(["/bin/sleep", "60"])
        let hostname = (try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)) ?? ""
        let checks: [(check: String, name: String)] = [
            ("mount", "mount a filesystem (tmpfs on /tmp)"),
            ("unshare-user", "unshare a user namespace (to gain capabilities in it)"),
            ("rewrite:/proc/sys/kernel/hostname", "write /proc/sys"),
            ("rewrite:/sys/class/net/lo/mtu", "write /sys"),
            ("module", "load a kernel module (finit_module)"),
            ("raw-socket", "open a raw socket (no CAP_NET_RAW)"),
            ("mknod:c:1:11", "mknod and open a host device (/dev/kmsg, the host's kernel log)"),
            ("ptrace:\(victim.pid)", "ptrace a host process (pid \(victim.pid))"),
            ("read:/proc/kcore", "read /proc/kcore"),
            ("read:/proc/timer_list", "read masked /proc/timer_list"),
            ("read:/proc/keys", "read masked /proc/keys"),
            ("read:/proc/sched_debug", "read masked /proc/sched_debug"),
            ("listdir:/sys/firmware", "list masked /sys/firmware"),
            ("sethostname", "change the hostname"),
            ("keyctl", "use the kernel keyring (keyctl)"),
        ]
        let probeArgs = ["/probe"] + checks.map(\.check)
        let attack = try sb.bundle("attack") {
            try $0.useDefaultSeccomp()
            $0.args = probeArgs
        }
        let control = try sb.bundle("control") {
            Self.privileged(&$0)
            $0.args = probeArgs
        }
        try Probe.install(in: attack)
        try Probe.install(in: control)
        let a = try await sb.run(attack)
        let c = try await sb.run(control)
        #expect(a.status == 0 && c.status == 0, "attack: \(a)\ncontrol: \(c)")
        let ar = Probe.results(a.stdout), cr = Probe.results(c.stdout)
        let hostnameAfter = (try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)) ?? ""
        return checks.map { check in
            let got = ar[check.check] ?? -1, ctl = cr[check.check] ?? -1
            var attempt = Attempt(name: check.name, attack: errnoName(got), control: errnoName(ctl),
                                  blocked: got != 0, real: ctl == 0)
            if check.check == "sethostname" {
                attempt.blocked = got != 0 && hostnameAfter == hostname
                attempt.attack += ", host hostname unchanged: \(hostnameAfter == hostname)"
            }
            if check.check == "module" && access("/proc/modules", F_OK) != 0 {
                attempt.notApplicable = "this kernel has no loadable module support (no /proc/modules)"
            }
            if check.check.hasPrefix("read:"), access(String(check.check.dropFirst(5)), F_OK) != 0 {
                attempt.notApplicable = "this kernel has no \(check.check.dropFirst(5))"
            }
            return attempt
        }
    }

    // MARK: through the bundle

    /// Mount destinations with `..` and through symlinks, and a rootfs whose /proc is a symlink
    /// (CVE-2019-16884): nothing may land outside the rootfs. Each is real when resolving the
    /// path naively on the host (as a runtime without RESOLVE_IN_ROOT would) leaves the rootfs.
    func throughTheBundle(_ sb: Sandbox) async throws -> [Attempt] {
        var out: [Attempt] = []
        func attempt(_ name: String, _ label: String, mount dest: String?, link: (String, String)?, naive: (String) -> String) async throws {
            let outside = try sb.hostDir("outside-\(label)")
            let b = try sb.bundle("bundle-\(label)") {
                if let dest { $0.addMount(destination: dest.replacingOccurrences(of: "OUTSIDE", with: outside), type: "tmpfs", source: "tmpfs") }
                $0.shell("echo ran")
            }
            if let (from, to) = link {
                let path = b.rootfs + from
                try? FileManager.default.removeItem(atPath: path)
                #expect(symlink(to.replacingOccurrences(of: "OUTSIDE", with: outside), path) == 0)
            }
            let r = try await sb.run(b)
            let created = (try? FileManager.default.contentsOfDirectory(atPath: outside)) ?? []
            let mounted = Sandbox.hostMountinfo().contains { $0.contains(outside) }
            let resolved = Self.naivelyResolved(naive(b.rootfs).replacingOccurrences(of: "OUTSIDE", with: outside))
            out.append(Attempt(
                name: name,
                attack: "run exit \(r.status), outside dir \(created.isEmpty ? "untouched" : "got \(created)"), host mount: \(mounted)",
                control: "resolved on the host: \(resolved)",
                blocked: created.isEmpty && !mounted,
                real: resolved.hasPrefix(outside)))
        }
        let up = String(repeating: "/..", count: 24)
        try await attempt("mount destination climbing out with ..", "dotdot", mount: up + "OUTSIDE/dotdot", link: nil) { $0 + up + "OUTSIDE/dotdot" }
        try await attempt("mount destination through an absolute symlink", "abs", mount: "/evil/x", link: ("/evil", "OUTSIDE")) { $0 + "/evil/x" }
        try await attempt("mount destination through a relative symlink", "rel", mount: "/evil/x",
                          link: ("/evil", String(repeating: "../", count: 24) + "OUTSIDE")) { $0 + "/evil/x" }
        try await attempt("CVE-2019-16884: /proc of the rootfs is a symlink out", "proc", mount: nil, link: ("/proc", "OUTSIDE")) { $0 + "/proc/self" }
        return out
    }

    /// `path` resolved on the host as a runtime without RESOLVE_IN_ROOT would: symlinks and
    /// `..` followed from the host's root; the part that does not exist yet appended as is.
    static func naivelyResolved(_ path: String) -> String {
        var parts = path.split(separator: "/").map(String.init)
        var rest: [String] = []
        while !parts.isEmpty {
            if let real = realpath("/" + parts.joined(separator: "/"), nil) {
                defer { free(real) }
                return ([String(cString: real)] + rest).joined(separator: "/")
            }
            rest.insert(parts.removeLast(), at: 0)
        }
        return "/" + rest.joined(separator: "/")
    }

    // MARK: CVE-2019-5736

    /// A process exec'd into a created container scans /proc/*/exe while init and further
    /// exec children still run husk's image: it must never get a handle on the husk binary,
    /// and the binary must be unchanged. Control: the same probe in a privileged container
    /// without a pid namespace gets a handle on a host process's binary and reopens it for
    /// writing once that process has exited.
    func procSelfExe(_ sb: Sandbox) async throws -> [Attempt] {
        let before = try captureSync(["/usr/bin/sha256sum", Harness.binary])
        var hostStat = stat()
        stat(Harness.binary, &hostStat)
        var ctl = ""
        let b = try sb.bundle("exe-attack") {
            ctl = try sb.controlDir(&$0)
            $0.args = ["sleep", "30"]
        }
        try Probe.install(in: b)
        let id = sb.newID("exe")
        let created = try await sb.husk(["create", "--bundle", b.path, id])
        #expect(created.status == 0, "\(created)")
        _ = try await sb.husk(["exec", "-d", id, "/probe", "attack-exe", "3", "/ctl/attack.log"])
        _ = try await sb.waitForFile(ctl + "/attack.log")
        try? await Task.sleep(for: .milliseconds(300))
        _ = try await sb.husk(["start", id])
        for _ in 0..<8 { _ = try await sb.husk(["exec", id, "true"]) }
        _ = await Harness.poll(timeout: 20) {
            ((try? String(contentsOfFile: ctl + "/attack.log", encoding: .utf8)) ?? "").contains("done\n")
        }
        let log = (try? String(contentsOfFile: ctl + "/attack.log", encoding: .utf8)) ?? ""
        let husk = "dev=\(hostStat.st_dev) ino=\(hostStat.st_ino)"
        let unchanged = try captureSync(["/usr/bin/sha256sum", Harness.binary]) == before

        // Control: a victim binary run on the host, seen from a privileged container.
        let victimBinary = sb.dir + "/victim-sleep"
        try copyFile("/bin/sleep", to: victimBinary, mode: 0o755)
        var victimStat = stat()
        stat(victimBinary, &victimStat)
        var cctl = ""
        let c = try sb.bundle("exe-control") {
            Self.privileged(&$0)
            cctl = try sb.controlDir(&$0)
            $0.args = ["/probe", "attack-exe", "3", "/ctl/attack.log"]
        }
        try Probe.install(in: c)
        let victim = try sb.startHelper([victimBinary, "1"])
        let cr = try await sb.run(c, timeout: 30)
        _ = victim.waitSync(timeout: 5)
        let clog = (try? String(contentsOfFile: cctl + "/attack.log", encoding: .utf8)) ?? ""
        let victimID = "dev=\(victimStat.st_dev) ino=\(victimStat.st_ino)"
        return [Attempt(
            name: "CVE-2019-5736: overwrite the runtime through /proc/PID/exe",
            attack: "handle on husk: \(log.contains(husk)), writable: \(log.contains("writable")), binary unchanged: \(unchanged), probe finished: \(log.contains("done\n"))",
            control: "run exit \(cr.status), writable handle on a host binary: \(clog.contains("writable \(victimID)"))",
            blocked: log.contains("done\n") && !log.contains(husk) && !log.contains("writable") && unchanged,
            real: clog.contains("writable \(victimID)"))]
    }

    // MARK: CVE-2024-21626

    /// fds the caller leaks reach no container process; a cwd of /proc/self/fd/N (N = 3…9)
    /// never starts the process in a host directory. Real: the leaked fds exist in a process
    /// started the same way on the host, and a created container's init does hold a host
    /// directory among fds 3…9 while it sets up.
    func leakedFds(_ sb: Sandbox) async throws -> [Attempt] {
        let bin = Harness.binary
        let b = try sb.bundle("fds") { $0.args = ["sh", "-c", "ls /proc/self/fd"] }
        let id = sb.newID("fds")
        let leaked = try await sb.host(["/bin/sh", "-c", "exec 7</ 8</etc/hostname; HUSK_NO_SUPERVISOR=1 exec \(bin) --root \(sb.stateRoot) run --bundle \(b.path) \(id)"])
        let seen = Set(leaked.stdout.split(separator: "\n").map(String.init))
        let onHost = try await sb.host(["/bin/sh", "-c", "exec 7</ 8</etc/hostname; ls /proc/self/fd"])
        let hostSeen = Set(onHost.stdout.split(separator: "\n").map(String.init))
        var out = [Attempt(
            name: "CVE-2024-21626: fds leaked by the runtime's caller",
            attack: "fds in the container: \(seen.sorted())", control: "fds of the same process on the host: \(hostSeen.sorted())",
            blocked: leaked.status == 0 && !seen.contains("7") && !seen.contains("8"),
            real: hostSeen.contains("7") && hostSeen.contains("8"))]

        // Which host directories a created container's init holds among 3…9.
        let held = try sb.bundle("held") { $0.args = ["sleep", "30"] }
        let hid = sb.newID("held")
        _ = try await sb.husk(["create", "--bundle", held.path, hid])
        let initPid = try await sb.state(hid)?["pid"] as? Int ?? 0
        let hostDirs = (3...9).filter { n in
            var st = stat()
            return stat("/proc/\(initPid)/fd/\(n)", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
        }
        _ = try await sb.husk(["delete", "--force", hid])
        var refused = 0
        var leaks: [String] = []
        for fd in 3...9 {
            let c = try sb.bundle("cwd-\(fd)") {
                $0.process["cwd"] = "/proc/self/fd/\(fd)"
                $0.shell("pwd; ls")
            }
            let r = try await sb.run(c, timeout: 15)
            if r.status != 0 && !r.timedOut { refused += 1 }
            for word in ["exec.fifo", "state.json", "config.json", "cgroup.procs", "unreachable"] where r.stdout.contains(word) {
                leaks.append("fd \(fd): \(word)")
            }
        }
        out.append(Attempt(
            name: "CVE-2024-21626: process.cwd /proc/self/fd/N (N = 3…9) into a host directory",
            attack: "\(refused) of 7 refused, leaks: \(leaks)", control: "host directories init holds among fds 3…9: \(hostDirs)",
            blocked: refused == 7 && leaks.isEmpty, real: !hostDirs.isEmpty))
        return out
    }
}
