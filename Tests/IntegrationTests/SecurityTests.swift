// Attacks from inside a container, each of which must fail: the default seccomp profile,
// CVE-2019-5736 (/proc/PID/exe of the runtime), mount destinations through symlinks
// (CVE-2019-19921 style), masked and read-only /proc, leaked fds and a cwd through them
// (CVE-2024-21626).
import Foundation
import JSON
import OCI
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A static probe binary built once from `probeSource` with the host's cc.
enum Probe {
    static let cc: String? = ["/usr/bin/cc", "/usr/bin/gcc"].first { access($0, X_OK) == 0 }

    static let binary: String? = {
        guard let cc else { return nil }
        var template = Array("/var/tmp/husk-probe-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { return nil }
        let dir = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try probeSource.writeFile(dir + "/probe.c")
            _ = try captureSync([cc, "-static", "-O1", "-o", dir + "/probe", dir + "/probe.c", "-lpthread"], timeout: 60)
            // Keep the bytes, not the file: the temp dir goes away.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/probe"))
            let keep = NSTemporaryDirectory() + "husk-probe-\(getpid())"
            try writeFileCloexec(keep, [UInt8](bytes), mode: 0o755)
            atexit { unlink(NSTemporaryDirectory() + "husk-probe-\(getpid())") }
            return keep
        } catch {
            return nil
        }
    }()

    static var available: Bool { binary != nil }

    /// Copies the probe to /probe in the bundle's rootfs.
    static func install(in bundle: TestBundle) throws {
        try copyFile(binary!, to: bundle.rootfs + "/probe", mode: 0o755)
    }

    /// "a=1\nb=2\n" → ["a": 1, "b": 2].
    static func results(_ text: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1)
            if kv.count == 2, let v = Int(kv[1]) { out[String(kv[0])] = v }
        }
        return out
    }
}

extension Config {
    /// The default seccomp profile (what `husk spec` writes) for this config's bounding set.
    mutating func useDefaultSeccomp() throws {
        let caps = (process["capabilities"] as? [String: Any])?["bounding"] as? [String] ?? []
        let text = JSON.serialize(DefaultSeccompProfile.make(capabilities: caps).json)
        linux["seccomp"] = try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    mutating func setCapabilities(_ caps: [String]) {
        process["capabilities"] = ["bounding": caps, "effective": caps, "permitted": caps]
    }
}

private func sha256(_ path: String) async throws -> String {
    let out = try captureSync(["/usr/bin/sha256sum", path])
    return String(out.split(separator: " ").first ?? "")
}

private let ENOSYS_ = Int(ENOSYS)

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct SecurityTests {
    // MARK: default seccomp profile

    /// `husk spec` output carries the default profile, and `husk run` loads it.
    @Test(.disabled(if: Harness.isReference, "husk's own spec output (runc spec has no seccomp profile)"))
    func specIncludesTheDefaultProfileAndRunLoadsIt() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle("spec-bundle")
        try FileManager.default.removeItem(atPath: b.configPath)
        let spec = try await sb.huskBare(["spec", "--bundle", b.path])
        #expect(spec.status == 0, "\(spec)")
        var config = Config(json: try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: b.configPath))) as! [String: Any])
        let seccomp = try #require(config.linux["seccomp"] as? [String: Any], "spec writes linux.seccomp")
        #expect(seccomp["defaultAction"] as? String == "SCMP_ACT_ERRNO")
        #expect(seccomp["defaultErrnoRet"] as? Int == 38)
        var process = config.process
        process["terminal"] = false
        process["args"] = ["sh", "-c", "grep '^Seccomp:' /proc/self/status; unshare -U true 2>/dev/null && echo unshared || echo refused"]
        config.process = process
        try b.write(config)
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "Seccomp:\t2\nrefused\n", "\(r)")
    }

    /// The default profile refuses keyrings, namespaces, mounts and clone3 (with ENOSYS, so
    /// glibc falls back to clone) while the ordinary tools and threads keep working.
    @Test(.enabled(if: Probe.available, "needs cc to build the in-container probe"))
    func defaultProfileBlocksEscapesAndKeepsCommonToolsWorking() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            try $0.useDefaultSeccomp()
            $0.shell("""
            grep '^Seccomp:' /proc/self/status
            ls / >/dev/null && echo ls-ok
            cat /etc/passwd >/dev/null && echo cat-ok
            sleep 0.1 && echo sleep-ok
            (echo subshell-ok)
            unshare -U true 2>/dev/null && echo unshare-ran || echo unshare-refused
            mount -t tmpfs tmpfs /tmp 2>/dev/null && echo mount-ran || echo mount-refused
            /probe keyctl clone3 fork thread unshare-user mount
            """)
        }
        try Probe.install(in: b)
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("""
            Seccomp:\t2
            ls-ok
            cat-ok
            sleep-ok
            subshell-ok
            unshare-refused
            mount-refused

            """), "\(r)")
        let res = Probe.results(r.stdout)
        #expect(res["keyctl"] == ENOSYS_, "keyctl is refused: \(r.stdout)")
        #expect(res["clone3"] == ENOSYS_, "clone3 fails with ENOSYS: \(r.stdout)")
        #expect(res["fork"] == 0, "fork (clone without namespace flags) works: \(r.stdout)")
        #expect(res["thread"] == 0, "pthread_create falls back from clone3 to clone: \(r.stdout)")
        #expect(res["unshare-user"] == ENOSYS_, "\(r.stdout)")
        #expect(res["mount"] == ENOSYS_, "\(r.stdout)")
    }

    /// With CAP_SYS_ADMIN the profile lets mount and clone3 through (moby's cap-conditional
    /// groups); the keyring stays closed.
    @Test(.enabled(if: Probe.available, "needs cc to build the in-container probe"))
    func defaultProfileWithSysAdmin() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.setCapabilities(Config.defaultCapabilities + ["CAP_SYS_ADMIN"])
            try $0.useDefaultSeccomp()
            $0.args = ["/probe", "keyctl", "clone3", "thread", "mount"]
        }
        try Probe.install(in: b)
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let res = Probe.results(r.stdout)
        #expect(res["keyctl"] == ENOSYS_, "\(r.stdout)")
        #expect(res["clone3"] == 0, "\(r.stdout)")
        #expect(res["thread"] == 0, "\(r.stdout)")
        #expect(res["mount"] == 0, "\(r.stdout)")
    }

    // MARK: CVE-2019-5736

    /// A process in the container scans /proc/*/exe while husk sets up `exec`s and while a
    /// created container's init still runs husk's image: it must never get a handle on the
    /// host's husk binary (let alone a writable one), and the binary must be unchanged.
    @Test(.enabled(if: Probe.available, "needs cc to build the in-container probe"),
          .disabled(if: Harness.isReference, "runc defends with a memfd copy of itself; the handle check is husk's"))
    func execAndInitExeCannotBeReached() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let before = try await sha256(Harness.binary)
        var hostStat = stat()
        #expect(stat(Harness.binary, &hostStat) == 0)
        var ctl = ""
        let b = try sb.bundle {
            ctl = try sb.controlDir(&$0)
            $0.args = ["sleep", "30"]
        }
        try Probe.install(in: b)
        let id = sb.newID("cve5736")
        let created = try await sb.husk(["create", "--bundle", b.path, id])
        #expect(created.status == 0, "\(created)")
        // The attacker joins the created container: init (pid 1) is still husk until start.
        let attack = try await sb.husk(["exec", "-d", id, "/probe", "attack-exe", "4", "/ctl/attack.log"])
        #expect(attack.status == 0, "\(attack)")
        #expect(try await sb.waitForFile(ctl + "/attack.log"))
        try? await Task.sleep(for: .milliseconds(500))
        let started = try await sb.husk(["start", id])
        #expect(started.status == 0, "\(started)")
        // Now every exec child runs husk's image in the container's pid namespace for a moment.
        for _ in 0..<15 {
            let r = try await sb.husk(["exec", id, "true"])
            #expect(r.status == 0, "\(r)")
        }
        _ = await Harness.poll(timeout: 20) {
            ((try? String(contentsOfFile: ctl + "/attack.log", encoding: .utf8)) ?? "").contains("done\n")
        }
        let log = (try? String(contentsOfFile: ctl + "/attack.log", encoding: .utf8)) ?? ""
        #expect(log.contains("done\n"), "the probe finished: \(log)")
        let husk = "dev=\(hostStat.st_dev) ino=\(hostStat.st_ino)"
        #expect(!log.contains(husk), "the container got a handle on the husk binary (\(husk)):\n\(log)")
        #expect(!log.contains("writable"), "a binary seen through /proc/PID/exe was reopened for writing:\n\(log)")
        #expect(try await sha256(Harness.binary) == before, "the husk binary changed")
    }

    // MARK: mount destinations through symlinks

    /// Chains of relative links (`a -> ../../..`, `b -> a/<outside>`) used as a mount
    /// destination stay inside the rootfs.
    @Test func relativeSymlinkChainsStayInRootfs() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let outside = try sb.hostDir("outside")
        let b = try sb.bundle {
            $0.addMount(destination: "/b/sub", type: "tmpfs", source: "tmpfs", options: [])
            $0.addMount(destination: "/c/d/sub", type: "tmpfs", source: "tmpfs", options: [])
            $0.shell("echo ran")
        }
        #expect(symlink(String(repeating: "../", count: 16), b.rootfs + "/a") == 0)
        #expect(symlink("a" + outside, b.rootfs + "/b") == 0)
        // c/d -> ../../../../../../…/<outside>, inside a real directory.
        try FileManager.default.createDirectory(atPath: b.rootfs + "/c", withIntermediateDirectories: true)
        #expect(symlink(String(repeating: "../", count: 16) + outside.dropFirst(), b.rootfs + "/c/d") == 0)
        let r = try await sb.run(b)
        // runc resolves the links inside the rootfs too; either way nothing may land outside.
        #expect(r.status == 0, "\(r)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "nothing created on the host")
        #expect(!Sandbox.hostMountinfo().contains { $0.contains(outside) }, "no host mount")
    }

    /// A symlink loop as mount destination fails with an error naming it, promptly.
    @Test func symlinkLoopDestinationFailsCleanly() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.addMount(destination: "/loop1/sub", type: "tmpfs", source: "tmpfs", options: [])
            $0.shell("echo ran")
        }
        #expect(symlink("loop2", b.rootfs + "/loop1") == 0)
        #expect(symlink("loop1", b.rootfs + "/loop2") == 0)
        let r = try await sb.run(b, timeout: 15)
        #expect(!r.timedOut, "no hang: \(r)")
        #expect(r.status != 0, "\(r)")
        #expect(!r.stdout.contains("ran"))
        if !Harness.isReference {
            #expect(r.stderr.contains("/loop1/sub"), "the error names the destination: \(r.stderr)")
        }
    }

    /// An image whose /proc (or /dev) is a symlink out of the rootfs (CVE-2019-19921 style):
    /// procfs and the /dev tmpfs must not land on the host directory the link names.
    @Test(arguments: ["proc", "dev"])
    func symlinkedProcOrDevStaysInRootfs(dir: String) async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let outside = try sb.hostDir("outside-\(dir)")
        let b = try sb.bundle { $0.shell("cat /proc/self/status >/dev/null && ls /dev/null && echo ran") }
        try FileManager.default.removeItem(atPath: b.rootfs + "/" + dir)
        #expect(symlink(outside, b.rootfs + "/" + dir) == 0)
        let r = try await sb.run(b)
        // runc refuses a symlinked /proc; husk resolves it inside the rootfs. Both are safe.
        if !Harness.isReference { #expect(r.status == 0 && r.stdout.hasSuffix("ran\n"), "\(r)") }
        // husk differs from runc 1.1.5 here: runc mounts the /dev tmpfs inside the rootfs but
        // then makes its /dev/fd, /dev/ptmx, /dev/std* symlinks in the host directory the link
        // names (measured). husk creates nothing outside.
        if !(Harness.isReference && dir == "dev") {
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "nothing created on the host")
        }
        #expect(!Sandbox.hostMountinfo().contains { $0.contains(outside) }, "no host mount")
    }

    // MARK: /proc

    /// Masked paths stay masked: without CAP_SYS_ADMIN they cannot be unmounted or remounted.
    @Test func maskedPathsCannotBeUnmasked() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.shell("""
            umount /proc/timer_list 2>/dev/null && echo unmounted-timer_list
            umount -l /proc/keys 2>/dev/null && echo unmounted-keys
            mount -t proc proc /tmp 2>/dev/null && echo mounted-proc
            mount -o remount,rw /proc/sys 2>/dev/null && echo remounted-sys
            wc -c < /proc/timer_list
            wc -c < /proc/keys
            echo x > /proc/sys/kernel/hostname 2>/dev/null && echo wrote-sys || echo sys-readonly
            echo 1 > /proc/sysrq-trigger 2>/dev/null && echo wrote-sysrq || echo sysrq-readonly
            """)
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "0\n0\nsys-readonly\nsysrq-readonly\n", "\(r)")
    }

    /// The container sees its own processes only.
    @Test func hostProcessesAreInvisible() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("ls /proc | grep -c '^[0-9]'; [ -e /proc/\(getpid()) ] && echo sees-host || echo ok") }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n")
        #expect((Int(lines.first ?? "") ?? 99) <= 3, "only sh, ls and grep: \(r.stdout)")
        // Our pid is far above what a fresh pid namespace hands out; if it is not, skip the check.
        if getpid() > 100 { #expect(lines.last == "ok", "\(r.stdout)") }
    }

    // MARK: fds (CVE-2024-21626)

    /// An fd the runtime's caller leaks (not CLOEXEC) reaches neither init nor an exec'd process,
    /// and neither does any fd of the runtime (state dir, cgroup dir, sync socket).
    @Test func noHostFdsLeakIntoTheContainer() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        // (the shell holds its pipeline's pipe ends for a moment: those are not leaks)
        let b = try sb.bundle { $0.args = ["sh", "-c", "ls /proc/self/fd; ls -l /proc/1/fd | grep -v pipe: | grep -c -- '->'; sleep 30"] }
        let id = sb.newID("fds")
        let bin = Harness.binary
        // fd 7: a host directory, fd 8: a host file, both inherited by the runtime.
        let run = try await sb.host(["/bin/sh", "-c",
            // No supervisor: init's stdout is the runtime's (runc's run -d), so it can be read here.
            "exec 7</ 8</etc/hostname; HUSK_NO_SUPERVISOR=1 exec \(bin) --root \(sb.stateRoot) run -d --bundle \(b.path) \(id) > \(sb.dir)/init.out"])
        #expect(run.status == 0, "\(run)")
        sb.register(id)
        _ = await Harness.poll(timeout: 10) { ((try? String(contentsOfFile: sb.dir + "/init.out", encoding: .utf8)) ?? "").split(separator: "\n").count >= 5 }
        let initOut = (try? String(contentsOfFile: sb.dir + "/init.out", encoding: .utf8)) ?? ""
        #expect(initOut == "0\n1\n2\n3\n3\n", "init has stdio only (+ ls's own directory): \(initOut)")
        let exec = try await sb.host(["/bin/sh", "-c",
            "exec 7</ 8</etc/hostname; exec \(bin) --root \(sb.stateRoot) exec \(id) sh -c 'ls /proc/self/fd; readlink /proc/self/cwd'"])
        #expect(exec.status == 0, "\(exec)")
        #expect(exec.stdout == "0\n1\n2\n3\n/\n", "\(exec)")
    }

    /// process.cwd through /proc/self/fd/N would follow an fd the runtime still holds (the
    /// state dir, a cgroup dir) out of the container: it must fail cleanly, never run there.
    @Test(.disabled(if: Harness.isReference, "runc 1.1.5 predates the CVE-2024-21626 fix (1.1.12)"),
          arguments: 3...9)
    func cwdThroughProcSelfFdIsRefused(fd: Int) async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.process["cwd"] = "/proc/self/fd/\(fd)"
            $0.shell("pwd; ls")
        }
        let r = try await sb.run(b, timeout: 15)
        #expect(!r.timedOut, "\(r)")
        #expect(r.status != 0, "the process must not start outside the rootfs: \(r)")
        for leak in ["exec.fifo", "state.json", "config.json", "cgroup.procs", "unreachable"] {
            #expect(!r.stdout.contains(leak), "\(leak) seen from the container: \(r)")
        }
        #expect(r.stderr.contains("/proc/self/fd/\(fd)"), "the error names the cwd: \(r.stderr)")
    }

    /// The same through `exec --cwd`.
    @Test(.disabled(if: Harness.isReference, "runc 1.1.5 predates the CVE-2024-21626 fix (1.1.12)"))
    func execCwdThroughProcSelfFdIsRefused() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["sleep", "30"] }
        let id = sb.newID("cwdfd")
        let started = try await sb.husk(["run", "-d", "--bundle", b.path, id])
        #expect(started.status == 0, "\(started)")
        for fd in 3...9 {
            let r = try await sb.husk(["exec", "--cwd", "/proc/self/fd/\(fd)", id, "sh", "-c", "pwd; ls"], timeout: 15)
            #expect(!r.timedOut && r.status != 0, "fd \(fd): \(r)")
            for leak in ["exec.fifo", "state.json", "cgroup.procs", "unreachable"] {
                #expect(!r.stdout.contains(leak), "fd \(fd): \(leak) seen from the container: \(r)")
            }
        }
    }
}
