import CHusk
import Cgroups
import Glibc
import JSON
import OCI
import Sys

/// Running husk as an unprivileged user ("rootless"). The container needs a user namespace;
/// its ID maps are written by husk itself when they map just the caller's own uid/gid (a
/// process may do that, with setgroups denied), and by the setuid helpers newuidmap/newgidmap
/// (package uidmap) for ranges delegated in /etc/subuid and /etc/subgid. There are no cgroups:
/// a config asking for resource limits is refused, never silently run without them.
public enum Rootless {
    /// husk runs without root: the rules above apply.
    public static var active: Bool { geteuid() != 0 }

    /// The default --root: /run/husk for root; for anyone else $XDG_RUNTIME_DIR/husk, else
    /// /run/user/$UID/husk, else /tmp/husk-$UID (a 0700 directory whose owner is checked by
    /// StateStore before use: in /tmp anyone could have made it first).
    public static func defaultStateRoot() -> String {
        let uid = geteuid()
        if uid == 0 { return "/run/husk" }
        if let x = getenv("XDG_RUNTIME_DIR"), case let dir = String(cString: x), dir.hasPrefix("/") {
            return dir + "/husk"
        }
        let run = "/run/user/\(uid)"
        if Files.isDirectory(run) && access(run, W_OK | X_OK) == 0 { return run + "/husk" }
        return "/tmp/husk-\(uid)"
    }

    /// /sys/fs/cgroup + the `0::PATH` line of /proc/self/cgroup (nil without one).
    static func ownCgroupV2Path(_ procCgroup: String?) -> String? {
        guard let line = procCgroup?.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let path = line.dropFirst(3)
        let full = "/sys/fs/cgroup" + (path == "/" ? "" : String(path))
        return Files.isDirectory(full) ? full : nil
    }

    // MARK: checks at create

    /// `linux.resources` may carry nothing but device rules (in a user namespace no device
    /// node can be made; only the configured ones are bound in). Anything else is a limit
    /// that needs a cgroup husk cannot make for an unprivileged user.
    static func checkResources(_ resources: JSONValue?) throws(HuskError) {
        guard let object = resources?.object else { return }
        for (key, value) in object.pairs where key != "devices" && !isEmpty(value) {
            throw HuskError("config.json: linux.resources.\(key): rootless: resource limits need a delegated cgroup v2 subtree; "
                + "husk runs containers of an unprivileged user (uid \(geteuid())) without cgroups "
                + "(remove linux.resources.\(key), or run husk as root)")
        }
    }

    private static func isEmpty(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return true
        case let .array(a): return a.isEmpty
        case let .object(o): return o.pairs.allSatisfy { isEmpty($0.value) }
        default: return false
        }
    }

    /// Refuses, before anything is made, what an unprivileged user cannot set up: no user
    /// namespace, ID ranges that are not the caller's, supplementary groups with setgroups
    /// denied. Marks the plan so that the child does not call setgroups when it is denied.
    static func check(_ plan: inout LaunchPlan) throws(HuskError) {
        let joinsUserNS = plan.joins.contains(where: { $0.type == HuskNamespace.user.flag })
        guard plan.newUserNamespace || joinsUserNS else {
            throw HuskError("config.json: linux.namespaces: rootless: husk runs as an unprivileged user (uid \(geteuid())), "
                + "so the container needs a user namespace (a \"user\" entry with linux.uidMappings and "
                + "linux.gidMappings; `husk spec --rootless` writes such a config)")
        }
        if let m = plan.mounts.first(where: { $0.idmap != nil }), let idmap = m.idmap {
            throw HuskError("config.json: \(idmap.field): rootless: id-mapped mounts need CAP_SYS_ADMIN in the initial "
                + "user namespace (mount_setattr MOUNT_ATTR_IDMAP); run husk as root or drop the mapping")
        }
        guard plan.newUserNamespace else { return }
        let uidDirect = try checkMappings(plan.uidMappings, kind: .uid)
        let gidDirect = try checkMappings(plan.gidMappings, kind: .gid)
        _ = uidDirect
        if gidDirect {
            // husk writes gid_map itself, which the kernel allows only after setgroups is denied.
            if !plan.additionalGids.isEmpty {
                throw HuskError("config.json: process.user.additionalGids: rootless: supplementary groups need "
                    + "more than the own gid in linux.gidMappings (ranges from /etc/subgid, set by newgidmap): with "
                    + "a single mapping setgroups is denied in the user namespace")
            }
            plan.skipSetgroups = true
        }
    }

    enum Kind {
        case uid, gid
        var field: String { self == .uid ? "linux.uidMappings" : "linux.gidMappings" }
        var subFile: String { self == .uid ? "/etc/subuid" : "/etc/subgid" }
        var helper: String { self == .uid ? "newuidmap" : "newgidmap" }
        var own: UInt32 { self == .uid ? geteuid() : getegid() }
        var noun: String { self == .uid ? "uid" : "gid" }
    }

    /// True when husk writes the map itself (one mapping of size 1 onto the own id);
    /// otherwise every range must be the own id or delegated in /etc/sub[ug]id, and the
    /// helper must be installed.
    static func checkMappings(_ maps: [IDMapping], kind: Kind) throws(HuskError) -> Bool {
        if maps.count == 1, maps[0].size == 1, maps[0].hostID == kind.own { return true }
        let user = ownUserName()
        let delegated = subordinateRanges(kind.subFile, user: user, id: geteuid())
        for (i, m) in maps.enumerated() {
            if m.size == 1 && m.hostID == kind.own { continue }
            let end = UInt64(m.hostID) + UInt64(m.size)
            if delegated.contains(where: { UInt64($0.start) <= UInt64(m.hostID) && end <= UInt64($0.start) + UInt64($0.count) }) { continue }
            let who = user.map { "\($0) (uid \(geteuid()))" } ?? "uid \(geteuid())"
            let have = delegated.isEmpty ? "has no entry for \(who)"
                : "gives \(who) only " + delegated.map { "\($0.start)-\(UInt64($0.start) + UInt64($0.count) - 1)" }.joined(separator: ", ")
            throw HuskError("config.json: \(kind.field)[\(i)]: rootless: host \(kind.noun)s \(m.hostID)-\(end - 1) are not yours "
                + "to map: \(kind.subFile) \(have) (an unprivileged user may map its own \(kind.noun) \(kind.own) and the "
                + "ranges delegated to it there)")
        }
        guard helperPath(kind) != nil else {
            throw HuskError("config.json: \(kind.field): rootless: mapping more than the own \(kind.noun) needs \(kind.helper) "
                + "(package uidmap), which is not installed")
        }
        return false
    }

    static func helperPath(_ kind: Kind) -> String? {
        ["/usr/bin/\(kind.helper)", "/bin/\(kind.helper)", "/usr/local/bin/\(kind.helper)", "/usr/sbin/\(kind.helper)"]
            .first { access($0, X_OK) == 0 }
    }

    static func ownUserName() -> String? {
        guard let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// The `name:start:count` lines of /etc/subuid or /etc/subgid for this user (by name or uid).
    static func subordinateRanges(_ path: String, user: String?, id: UInt32) -> [(start: UInt32, count: UInt32)] {
        guard let text = try? Files.readString(path) else { return [] }
        var out: [(start: UInt32, count: UInt32)] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count == 3, let start = UInt32(f[1]), let count = UInt32(f[2]), count > 0 else { continue }
            if f[0] == String(id) || (user != nil && String(f[0]) == user) { out.append((start, count)) }
        }
        return out
    }

    // MARK: writing the maps (parent, between clone and "go")

    static func writeMaps(pid: Int32, uid: [IDMapping], gid: [IDMapping]) throws(HuskError) {
        try writeMap(pid: pid, maps: uid, kind: .uid)
        try writeMap(pid: pid, maps: gid, kind: .gid)
    }

    private static func writeMap(pid: Int32, maps: [IDMapping], kind: Kind) throws(HuskError) {
        if maps.count == 1, maps[0].size == 1, maps[0].hostID == kind.own {
            if kind == .gid {
                let path = "/proc/\(pid)/setgroups"
                do { try Files.write(path, "deny", flags: O_WRONLY) } catch {
                    throw HuskError("write \(path) (needed to map the own gid): \(errnoText(error.errno)) (stage: user namespace)")
                }
            }
            let path = "/proc/\(pid)/\(kind.noun)_map"
            do { try Files.write(path, "\(maps[0].containerID) \(maps[0].hostID) 1\n", flags: O_WRONLY) } catch {
                throw HuskError("write \(path) (\(kind.field)): \(errnoText(error.errno)) (stage: user namespace)")
            }
            return
        }
        guard let helper = helperPath(kind) else {
            throw HuskError("\(kind.field): \(kind.helper) is not installed (package uidmap) (stage: user namespace)")
        }
        let args = [helper, String(pid)] + maps.flatMap { [String($0.containerID), String($0.hostID), String($0.size)] }
        let (status, output) = runHelper(args)
        if status != 0 {
            let text = output.split(separator: "\n").joined(separator: "; ")
            throw HuskError("\(kind.helper) refused \(kind.field) (exit \(status)): \(text.isEmpty ? "no message" : text) "
                + "(the ranges must be delegated to you in \(kind.subFile)) (stage: user namespace)")
        }
    }

    /// Runs a helper with stdout+stderr captured; returns its exit code (128+N for a signal).
    private static func runHelper(_ args: [String]) -> (Int32, String) {
        var pipeFDs: [Int32] = [-1, -1]
        guard husk_pipe_cloexec(&pipeFDs) == 0 else { return (-1, "pipe: \(errnoText(errno))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        let argv = args.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, args[0], &actions, nil, argv, envp)
        close(pipeFDs[1])
        defer { close(pipeFDs[0]) }
        if rc != 0 { return (-1, "\(args[0]): \(errnoText(rc))") }
        var output: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if output.count < 65536 { output += buf[0..<n] }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (ExitStatus(raw: status).code, String(decoding: output, as: UTF8.self))
    }
}

/// The "cgroup" of a container made without one (rootless): nothing to create, kill or remove;
/// what needs a cgroup (pause, update, stats) says so.
struct NoCgroupManager: CgroupManager {
    static let why = "the container has no cgroup (rootless: husk makes none for an unprivileged user)"
    func create(resources: JSONValue?) throws(CgroupError) {}
    func openLeafForClone() -> Int32? { nil }
    func addProcess(_ pid: Int32) throws(CgroupError) {}
    func destroy(killFirst: Bool) throws(CgroupError) {}
    func pids() -> [Int32] { [] }
    func freeze(_ frozen: Bool) throws(CgroupError) {
        if frozen { throw CgroupError("pause: \(Self.why)") }
    }
    var isFrozen: Bool { false }
    func update(resources: JSONValue?) throws(CgroupError) {
        throw CgroupError("update: \(Self.why); resource limits need a delegated cgroup v2 subtree")
    }
    func stats() -> CgroupStats { CgroupStats() }
    func oomKillCount() -> UInt64? { nil }
    var paths: [String] { [] }
    var joinFiles: [String] { [] }
}
