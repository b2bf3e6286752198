// Rootless: husk run by a real unprivileged user (made with useradd for the test, removed again
// with its files even when the test fails), through setpriv, with XDG_RUNTIME_DIR set.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway user and a world-readable directory with a copy of husk and a bundle.
final class RootlessUser {
    let name: String
    let uid: UInt32
    let gid: UInt32
    /// 0755, root's: holds husk, the bundle, the command output.
    let dir: String
    /// The user's XDG_RUNTIME_DIR (0700, the user's).
    let xdg: String
    let husk: String
    var bundle: String { dir + "/bundle" }
    var stateRoot: String { xdg + "/husk" }
    private var removed = false

    static let tools = ["/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/bin/setpriv"]

    static let usable: Bool = Harness.canRun && tools.allSatisfy { access($0, X_OK) == 0 } && userNamespacesAllowed

    static let userNamespacesAllowed: Bool = {
        let clone = (try? String(contentsOfFile: "/proc/sys/kernel/unprivileged_userns_clone", encoding: .utf8)) ?? "1"
        let max = (try? String(contentsOfFile: "/proc/sys/user/max_user_namespaces", encoding: .utf8)) ?? "1"
        return clone.trimmingCharacters(in: .whitespacesAndNewlines) != "0" && max.trimmingCharacters(in: .whitespacesAndNewlines) != "0"
    }()

    static let requirement: Comment = {
        if !Harness.canRun { return Harness.requirement }
        if let missing = tools.first(where: { access($0, X_OK) != 0 }) {
            return Comment(rawValue: "needs \(missing) (useradd/userdel: passwd, setpriv: util-linux) to run husk as a made-up unprivileged user")
        }
        return "needs unprivileged user namespaces (kernel.unprivileged_userns_clone / user.max_user_namespaces are 0)"
    }()

    init() throws {
        var template = Array("/var/tmp/husk-rl-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CommandError.spawn("mkdtemp", errno) }
        dir = String(cString: made)
        chmod(dir, 0o755)
        mkdir(dir + "/out", 0o777)
        chmod(dir + "/out", 0o777)
        name = "hrl" + String(UInt32(getpid()) & 0xffff, radix: 16) + String(UInt32.random(in: 0...0xffffff), radix: 16)
        xdg = dir + "/xdg"
        husk = dir + "/husk"
        // useradd locks /etc/passwd: a parallel one elsewhere makes it fail for a moment.
        var added = false
        for _ in 0..<5 {
            let r = try Self.captureStatus(["/usr/sbin/useradd", "-M", "-U", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name], dir: dir)
            if r.status == 0 { added = true; break }
            usleep(300_000)
        }
        guard added, let pw = getpwnam(name) else {
            try? FileManager.default.removeItem(atPath: dir)
            throw CommandError.spawn("useradd \(name)", EAGAIN)
        }
        uid = pw.pointee.pw_uid
        gid = pw.pointee.pw_gid
        do {
            try copyFile(Harness.binary, to: husk, mode: 0o755)
            mkdir(xdg, 0o700)
            chown(xdg, uid, gid)
            mkdir(bundle, 0o755)
            chown(bundle, uid, gid) // `husk spec` writes config.json here
            try TestBundle.makeRootfs(at: bundle + "/rootfs")
            _ = try Self.captureStatus(["/bin/chmod", "-R", "o+rX", bundle + "/rootfs"], dir: dir)
        } catch {
            cleanup()
            throw error
        }
    }

    /// husk as the user (argv after the binary), with XDG_RUNTIME_DIR and no --root.
    /// Without `xdg`, no XDG_RUNTIME_DIR (the /run/user/UID or /tmp/husk-UID fallback).
    func husk(_ args: [String], xdg useXDG: Bool = true, timeout: Double = 30) async throws -> CommandResult {
        var env = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        if useXDG { env["XDG_RUNTIME_DIR"] = xdg }
        let child = try Child(["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", husk] + args,
                              outputDir: dir + "/out", environment: env, cwd: bundle)
        return await child.wait(timeout: timeout)
    }

    var config: [String: Any] {
        get throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))
            return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        }
    }

    func writeConfig(_ json: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try writeFileCloexec(bundle + "/config.json", [UInt8](data))
        chown(bundle + "/config.json", uid, gid)
    }

    /// `husk spec --rootless`, then `mutate` (terminal off: no tty here).
    func specRootless(_ mutate: (inout [String: Any]) -> Void) async throws {
        let r = try await husk(["spec", "--rootless"])
        guard r.succeeded else { throw CommandError.spawn("husk spec --rootless: \(r)", 0) }
        var json = try config
        var process = json["process"] as? [String: Any] ?? [:]
        process["terminal"] = false
        json["process"] = process
        mutate(&json)
        try writeConfig(json)
    }

    /// The user's first range in /etc/subuid or /etc/subgid.
    static func range(in file: String, for name: String) -> (start: Int, count: Int)? {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":")
            if f.count == 3, f[0] == name, let start = Int(f[1]), let count = Int(f[2]) { return (start, count) }
        }
        return nil
    }

    /// What is in a state root besides the compiled seccomp filters husk keeps there by design
    /// (`.seccomp-*`, see SeccompCache); nil when it cannot be read.
    static func stateEntries(_ root: String) -> [String]? {
        (try? FileManager.default.contentsOfDirectory(atPath: root))?.filter { !$0.hasPrefix(".seccomp-") }
    }

    /// The pids of processes running as the user.
    func processes() -> [Int32] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter { pid in
            var st = stat()
            return stat("/proc/\(pid)", &st) == 0 && st.st_uid == uid
        }
    }

    /// Host mount table lines naming our directory (rootless mounts live in the container's
    /// mount namespace only: there must be none).
    func hostMounts() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { $0.contains(dir) }
    }

    /// Kills what the user still runs, removes the user (userdel also drops its /etc/subuid and
    /// /etc/subgid ranges) and the directory. Safe to call twice.
    func cleanup() {
        guard !removed else { return }
        removed = true
        for _ in 0..<50 {
            let pids = processes()
            if pids.isEmpty { break }
            pids.forEach { _ = kill($0, SIGKILL) }
            usleep(20_000)
        }
        for _ in 0..<5 {
            if getpwnam(name) == nil { break }
            if (try? captureStatus(["/usr/sbin/userdel", name]))?.status == 0 { break }
            usleep(300_000)
        }
        _ = try? captureStatus(["/bin/rm", "-rf", dir, "/tmp/husk-\(uid)"])
    }

    private func captureStatus(_ argv: [String]) throws -> CommandResult {
        try Self.captureStatus(argv, dir: dir)
    }

    private static func captureStatus(_ argv: [String], dir: String) throws -> CommandResult {
        try Child(argv, outputDir: dir + "/out").waitSync(timeout: 30)
    }
}

@Suite(.serialized, .enabled(if: RootlessUser.usable, RootlessUser.requirement))
struct RootlessTests {
    /// `husk spec --rootless` as is (terminal off) runs as the user: root inside, the user's
    /// uid outside; the state lives under XDG_RUNTIME_DIR; the full lifecycle works and
    /// nothing remains.
    @Test func specRootlessRunsAsTheUser() async throws {
        guard !Harness.isReference else { return }
        let user = try RootlessUser()
        defer { user.cleanup() }
        try await user.specRootless { json in
            var process = json["process"] as? [String: Any] ?? [:]
            process["args"] = ["sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map"]
            json["process"] = process
        }
        let run = try await user.husk(["run", "rl-run"])
        #expect(run.status == 0, "\(run)")
        let lines = run.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == ["0", "0 \(user.uid) 1", "0 \(user.gid) 1"], "\(run)")

        // create → state (under XDG_RUNTIME_DIR, never /run/husk) → start → kill → delete.
        var json = try user.config
        var process = json["process"] as? [String: Any] ?? [:]
        process["args"] = ["sleep", "300"]
        json["process"] = process
        try user.writeConfig(json)
        let id = "rl-life-\(getpid())"
        let create = try await user.husk(["create", id])
        #expect(create.status == 0, "\(create)")
        #expect(FileManager.default.fileExists(atPath: user.stateRoot + "/\(id)/state.json"), "state under \(user.stateRoot)")
        #expect(!FileManager.default.fileExists(atPath: "/run/husk/\(id)"))
        let state = try await user.husk(["state", id])
        #expect(state.stdout.contains("\"status\": \"created\""), "\(state)")
        #expect(state.stdout.contains("\"owner\": \"\(user.uid)\""), "\(state)")
        let start = try await user.husk(["start", id])
        #expect(start.status == 0, "\(start)")
        let list = try await user.husk(["list"])
        #expect(list.stdout.contains(id) && list.stdout.contains("running"), "\(list)")
        let killed = try await user.husk(["kill", id, "KILL"])
        #expect(killed.status == 0, "\(killed)")
        let stopped = await Harness.poll(timeout: 10) {
            ((try? await user.husk(["state", id]))?.stdout ?? "").contains("\"status\": \"stopped\"")
        }
        #expect(stopped)
        let delete = try await user.husk(["delete", id])
        #expect(delete.status == 0, "\(delete)")

        // Nothing left: no state, no process, no host mount.
        #expect(RootlessUser.stateEntries(user.stateRoot) == [], "state left in \(user.stateRoot)")
        let gone = await Harness.poll(timeout: 5) { user.processes().isEmpty }
        #expect(gone, "processes of \(user.name) left: \(user.processes())")
        #expect(user.hostMounts() == [])
        user.cleanup()
        #expect(getpwnam(user.name) == nil, "user \(user.name) not removed")
        #expect(!FileManager.default.fileExists(atPath: user.dir))
    }

    /// Ranges delegated in /etc/subuid and /etc/subgid (useradd gives a new user one) are
    /// mapped through newuidmap/newgidmap; with gid 5 mapped, devpts keeps `gid=5`. `run -d`
    /// and `exec` into the running container work too.
    @Test(.enabled(if: access("/usr/bin/newuidmap", X_OK) == 0 && access("/usr/bin/newgidmap", X_OK) == 0,
                   "needs newuidmap/newgidmap (package uidmap)"))
    func subordinateRangesThroughNewuidmap() async throws {
        guard !Harness.isReference else { return }
        let user = try RootlessUser()
        defer { user.cleanup() }
        guard let sub = RootlessUser.range(in: "/etc/subuid", for: user.name),
              let subg = RootlessUser.range(in: "/etc/subgid", for: user.name) else {
            Issue.record("useradd gave \(user.name) no /etc/subuid or /etc/subgid range (SUB_UID_COUNT=0 in /etc/login.defs?)")
            return
        }
        try await user.specRootless { json in
            var linux = json["linux"] as? [String: Any] ?? [:]
            linux["uidMappings"] = [["containerID": 0, "hostID": Int(user.uid), "size": 1],
                                    ["containerID": 1, "hostID": sub.start, "size": min(sub.count, 65536)]]
            linux["gidMappings"] = [["containerID": 0, "hostID": Int(user.gid), "size": 1],
                                    ["containerID": 1, "hostID": subg.start, "size": min(subg.count, 65536)]]
            json["linux"] = linux
            var mounts = json["mounts"] as? [[String: Any]] ?? []
            for i in mounts.indices where mounts[i]["destination"] as? String == "/dev/pts" {
                mounts[i]["options"] = (mounts[i]["options"] as? [String] ?? []) + ["gid=5"]
            }
            json["mounts"] = mounts
            var process = json["process"] as? [String: Any] ?? [:]
            process["args"] = ["sleep", "300"]
            json["process"] = process
        }
        let id = "rl-sub-\(getpid())"
        let run = try await user.husk(["run", "-d", id])
        #expect(run.status == 0, "\(run)")
        let exec = try await user.husk(["exec", id, "sh", "-c",
            "cat /proc/self/uid_map; grep ' /dev/pts ' /proc/self/mountinfo | grep -c gid=$((\(subg.start) + 4))"])
        #expect(exec.status == 0, "\(exec)")
        let lines = exec.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == ["0 \(user.uid) 1", "1 \(sub.start) \(min(sub.count, 65536))", "1"], "\(exec)")
        let delete = try await user.husk(["delete", "--force", id])
        #expect(delete.status == 0, "\(delete)")
        #expect(await Harness.poll(timeout: 10) { user.processes().isEmpty }, "processes left: \(user.processes())")
        #expect((RootlessUser.stateEntries(user.stateRoot) ?? []).isEmpty)
    }

    /// `exec` into a created, not yet started container: until start, init runs husk's image
    /// and is non-dumpable, so the user cannot open its /proc/PID/ns; it gets the namespaces
    /// from init's ns.sock instead. The exec'd process is in the container (pid namespace,
    /// user namespace) and still cannot reach init's exe or fds (CVE-2019-5736); after start
    /// exec works as before and the namespace server is gone.
    @Test func execIntoCreatedContainer() async throws {
        guard !Harness.isReference else { return }
        let user = try RootlessUser()
        defer { user.cleanup() }
        try await user.specRootless { json in
            var process = json["process"] as? [String: Any] ?? [:]
            process["args"] = ["sleep", "300"]
            json["process"] = process
        }
        let id = "rl-exec-created-\(getpid())"
        let create = try await user.husk(["create", id])
        #expect(create.status == 0, "\(create)")
        let exec = try await user.husk(["exec", id, "sh", "-c",
            "id -u; cat /proc/self/uid_map; cat /proc/1/comm; readlink /proc/1/exe || echo exe-refused; ls /proc/1/fd >/dev/null 2>&1 || echo fds-refused"])
        #expect(exec.status == 0, "\(exec)")
        let lines = exec.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == ["0", "0 \(user.uid) 1", "husk-init", "exe-refused", "fds-refused"], "\(exec)")
        func servers() -> [Int32] {
            user.processes().filter { (try? String(contentsOfFile: "/proc/\($0)/comm", encoding: .utf8)) == "husk-ns-server\n" }
        }
        #expect(servers().count == 1, "init's namespace server runs while the container is created")
        let start = try await user.husk(["start", id])
        #expect(start.status == 0, "\(start)")
        let after = try await user.husk(["exec", id, "sh", "-c", "cat /proc/1/comm; ls /proc | grep -c '^[0-9]'"])
        #expect(after.status == 0, "\(after)")
        // init is sleep now; sh, cat/ls, grep: no namespace server left.
        #expect(after.stdout.hasPrefix("sleep\n"), "\(after)")
        #expect(servers().isEmpty, "the namespace server ends at start: \(servers())")
        let delete = try await user.husk(["delete", "--force", id])
        #expect(delete.status == 0, "\(delete)")
        #expect(await Harness.poll(timeout: 10) { user.processes().isEmpty }, "processes left: \(user.processes())")
        #expect((RootlessUser.stateEntries(user.stateRoot) ?? []).isEmpty)
    }

    /// Without XDG_RUNTIME_DIR (and no /run/user/UID) the state goes to /tmp/husk-UID, mode
    /// 0700; one that someone else made first is refused, not used.
    @Test func fallbackStateRootIsPrivate() async throws {
        guard !Harness.isReference else { return }
        let user = try RootlessUser()
        defer { user.cleanup() }
        guard !FileManager.default.fileExists(atPath: "/run/user/\(user.uid)") else { return }
        try await user.specRootless { json in
            var process = json["process"] as? [String: Any] ?? [:]
            process["args"] = ["true"]
            json["process"] = process
        }
        let fallback = "/tmp/husk-\(user.uid)"
        // Planted by root (standing in for another user): refused.
        #expect(mkdir(fallback, 0o777) == 0)
        chmod(fallback, 0o777)
        let refused = try await user.husk(["run", "rl-tmp"], xdg: false)
        #expect(refused.status != 0, "\(refused)")
        #expect(refused.stderr.contains("is not a private directory of yours"), "\(refused)")
        rmdir(fallback)
        let run = try await user.husk(["run", "rl-tmp"], xdg: false)
        #expect(run.status == 0, "\(run)")
        var st = stat()
        #expect(lstat(fallback, &st) == 0 && st.st_uid == user.uid && st.st_mode & 0o777 == 0o700)
        #expect((RootlessUser.stateEntries(fallback) ?? ["?"]).isEmpty)
    }

    /// Resource limits cannot be applied without a cgroup: refused with the reason, nothing made.
    @Test func resourceLimitsAreRefused() async throws {
        guard !Harness.isReference else { return }
        let user = try RootlessUser()
        defer { user.cleanup() }
        try await user.specRootless { json in
            var linux = json["linux"] as? [String: Any] ?? [:]
            linux["resources"] = ["memory": ["limit": 64 << 20], "pids": ["limit": 100]]
            json["linux"] = linux
        }
        let run = try await user.husk(["run", "rl-res"])
        #expect(run.status != 0, "\(run)")
        #expect(run.stderr.contains("rootless: resource limits need a delegated cgroup v2 subtree"), "\(run)")
        #expect(run.stderr.contains("linux.resources.memory"), "\(run)")
        #expect((RootlessUser.stateEntries(user.stateRoot) ?? []).isEmpty)
        #expect(user.processes().isEmpty)
    }

    /// A range the user was not given is refused before anything starts, naming the file and range.
    @Test func foreignIDRangeIsRefused() async throws {
        guard !Harness.isReference else { return }
        let user = try RootlessUser()
        defer { user.cleanup() }
        try await user.specRootless { json in
            var linux = json["linux"] as? [String: Any] ?? [:]
            linux["uidMappings"] = [["containerID": 0, "hostID": Int(user.uid), "size": 1],
                                    ["containerID": 1, "hostID": 7, "size": 3]]
            json["linux"] = linux
        }
        let run = try await user.husk(["run", "rl-map"])
        #expect(run.status != 0, "\(run)")
        #expect(run.stderr.contains("linux.uidMappings[1]") && run.stderr.contains("/etc/subuid")
                && run.stderr.contains("7-9"), "\(run)")
        #expect(user.processes().isEmpty)
    }
}
