import CHusk
import Glibc
import JSON
import Sys

/// Which cgroup interface the host offers for resource control.
public enum CgroupVersion: Sendable, Equatable {
    /// Legacy or hybrid host: one hierarchy per controller under /sys/fs/cgroup/<controller>.
    case v1
    /// Unified host: /sys/fs/cgroup is itself a cgroup2 mount.
    case v2
}

/// One container's cgroup(s). Built by `Cgroups.manager`; every method names the path it failed on.
public protocol CgroupManager: Sendable {
    /// Creates the container's cgroup(s) and applies `resources` (the raw `linux.resources`).
    /// Idempotent on an existing directory. Directories it made itself are removed again if applying fails.
    func create(resources: JSONValue?) throws(CgroupError)
    /// v2: an O_PATH|O_DIRECTORY fd of the leaf for clone3 CLONE_INTO_CGROUP (the caller closes it); v1: nil.
    func openLeafForClone() -> Int32?
    /// Moves `pid` into the cgroup(s) by writing cgroup.procs.
    func addProcess(_ pid: Int32) throws(CgroupError)
    /// Removes the cgroup(s), retrying EBUSY for about a second while processes drain.
    /// With `killFirst`, SIGKILLs everything inside first (v2 cgroup.kill; v1 freeze, kill each pid, thaw).
    /// Missing directories are fine (delete after a half-done create).
    func destroy(killFirst: Bool) throws(CgroupError)
    /// PIDs in the cgroup(s), sorted and unique; empty if it does not exist.
    func pids() -> [Int32]
    /// v2: cgroup.freeze, then waits for `frozen 1` in cgroup.events; v1: freezer.state FROZEN/THAWED.
    func freeze(_ frozen: Bool) throws(CgroupError)
    /// One file read: v1 freezer.state is FROZEN, v2 cgroup.events has `frozen 1`. False if there is no freezer.
    var isFrozen: Bool { get }
    /// Applies `resources` (a `linux.resources` object; absent or zero fields are left as they are)
    /// to the existing cgroup(s), through the same code as `create`. `devices` is ignored, as in runc's update.
    func update(resources: JSONValue?) throws(CgroupError)
    /// A snapshot of CPU, memory and pids accounting (what `events --stats` prints).
    func stats() -> CgroupStats
    /// The number of OOM kills in the cgroup so far (v1 memory.oom_control, v2 memory.events `oom_kill`);
    /// nil if the kernel does not count them.
    func oomKillCount() -> UInt64?
    /// The container's directories, one per hierarchy (v1) or the single leaf (v2).
    var paths: [String] { get }
    /// The files the container's single-threaded first process writes to join, after `create`
    /// (its own pid, or "0" for itself). v1: each hierarchy's `tasks`, since moving one thread by
    /// "0" skips the kernel's global threadgroup lock, whose RCU grace period costs 5-30 ms
    /// per `cgroup.procs` write (the first write of each start paid it); plus the hybrid
    /// hugetlb directory when one was made. v2: the leaf's cgroup.procs (only used when clone3
    /// refuses CLONE_INTO_CGROUP).
    var joinFiles: [String] { get }
}

public enum Cgroups {
    /// The mount point of the cgroup tree.
    public static let root = "/sys/fs/cgroup"

    /// v2 if /sys/fs/cgroup is a cgroup2 mount, otherwise v1 (detected by statfs magic, never by paths).
    public static var version: CgroupVersion {
        FS.magic(of: root) == FS.cgroup2Magic ? .v2 : .v1
    }

    /// A manager for the container's cgroup(s); nothing is touched until `create`.
    /// `cgroupsPath`: absolute = under each hierarchy's root; relative = under husk's own cgroup
    /// (on v2 under its parent, as runc does, since husk's own cgroup already holds processes);
    /// nil or empty = `<containerID>`, relative (as runc does; no shared parent left behind).
    /// `procCgroup`: the /proc/self/cgroup text of the husk that created the container, so
    /// that later verbs run from another cgroup (conmon, another shell) find the same place.
    /// `omitting`: v1 controllers whose hierarchies the container stays out of (the manager of a
    /// later verb may name them: their directories are simply absent); ignored on v2.
    public static func manager(cgroupsPath: String?, containerID: String, procCgroup: String? = nil,
                               omitting: Set<String> = []) throws(CgroupError) -> any CgroupManager {
        let inner = try CgroupPath.inner(cgroupsPath: cgroupsPath, containerID: containerID)
        switch version {
        case .v2:
            return try V2Manager(root: root, inner: inner, ownCgroup: try Proc.ownCgroupV2(procCgroup))
        case .v1:
            let hierarchies = try Proc.v1Hierarchies(procCgroup: procCgroup).filter { !$0.controllers.allSatisfy(omitting.contains) }
            return try V1Manager(inner: inner, hierarchies: hierarchies,
                                 unified: Proc.unifiedHierarchy(procCgroup: procCgroup))
        }
    }

    /// This process's /proc/self/cgroup, to record at create.
    public static func ownCgroupText() -> String? { try? FS.read("/proc/self/cgroup") }

    /// `resources` with the device rules every container's cgroup gets, as runc builds them:
    /// always a `devices` list (the drivers start from deny-all and end with the default devices,
    /// so a config without rules still cannot open or mknod host disks), plus an allow rule
    /// (`rwm`) for each device node the container gets from `linux.devices`. `type` is "c" or "b".
    public static func resources(_ resources: JSONValue?, allowingDevices devices: [(type: String, major: Int64, minor: Int64)]) -> JSONValue {
        var object = resources?.object ?? JSONObject()
        var rules = object["devices"]?.array ?? []
        for d in devices {
            rules.append(["allow": true, "type": .string(d.type), "major": .int(d.major), "minor": .int(d.minor), "access": "rwm"])
        }
        object["devices"] = .array(rules)
        return .object(object)
    }
}

/// Filesystem checks: a knob is only written inside a directory proven to be on a cgroup filesystem.
enum FS {
    static let cgroup2Magic: Int = 0x6367_7270
    static let cgroup1Magic: Int = 0x0027_e0eb

    static func magic(of path: String) -> Int? {
        let type = husk_statfs_type(path)
        return type < 0 ? nil : Int(type)
    }

    static func isCgroupFS(_ path: String) -> Bool {
        let m = magic(of: path)
        return m == cgroup2Magic || m == cgroup1Magic
    }

    /// Writes `value` to an existing knob: O_WRONLY without O_CREAT, so a missing knob is ENOENT, never a new file.
    static func write(_ path: String, _ value: String) throws(CgroupError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw CgroupError("open", path: path, errno: Glibc.errno) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        while true {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return }
            let e = Glibc.errno
            if e != EINTR { throw CgroupError("write", path: path, errno: e) }
        }
    }

    static func read(_ path: String) throws(CgroupError) -> String {
        do { return try Files.readString(path) } catch { throw CgroupError(error) }
    }

    /// A knob holding one unsigned number; "max" and unreadable files are nil.
    static func readUInt(_ path: String) -> UInt64? {
        readTrimmed(path).flatMap { UInt64($0) }
    }

    /// A flat-keyed file ("key value" per line: memory.stat, cpu.stat, memory.events, oom_control).
    static func readKeyed(_ path: String) -> [(key: String, value: UInt64)] {
        guard let text = try? Files.readString(path) else { return [] }
        // Bytes, not Characters (memory.stat has ~40 lines, read for every report).
        return text.utf8.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let f = line.split(separator: UInt8(ascii: " "))
            guard f.count == 2, let v = UInt64(Substring(f[1])) else { return nil }
            return (String(Substring(f[0])), v)
        }
    }

    static func readTrimmed(_ path: String) -> String? {
        guard let text = try? Files.readString(path) else { return nil }
        return String(text.trimmingWhitespace)
    }

    /// mkdir of one level; true if it was created now, false if it existed.
    static func makeDirectory(_ path: String) throws(CgroupError) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        let e = Glibc.errno
        if e == EEXIST && Files.isDirectory(path) { return false }
        throw CgroupError("mkdir", path: path, errno: e)
    }

    /// Creates every missing level of `path` below `base` (which must exist); returns the levels created, outermost first.
    static func makeDirectories(_ path: String, below base: String) throws(CgroupError) -> [String] {
        guard FS.isCgroupFS(base) else {
            throw CgroupError("\(base) is not on a cgroup filesystem; refusing to create cgroups there")
        }
        var created: [String] = []
        var current = base
        let rest = path.dropFirst(base.count)
        for part in rest.split(separator: "/") {
            current += "/" + part
            do {
                if try makeDirectory(current) { created.append(current) }
            } catch {
                for dir in created.reversed() { rmdir(dir) }
                throw error
            }
        }
        guard FS.isCgroupFS(path) else {
            for dir in created.reversed() { rmdir(dir) }
            throw CgroupError("\(path) is not on a cgroup filesystem; refusing to write knobs there")
        }
        return created
    }

    /// PIDs listed in a cgroup.procs file.
    static func procs(_ dir: String) -> [Int32] {
        guard let text = try? Files.readString(dir + "/cgroup.procs") else { return [] }
        return text.split(whereSeparator: { $0 == "\n" || $0 == " " }).compactMap { Int32($0) }
    }

    /// rmdir, retrying EBUSY for about a second; ENOENT is success. `beforeRetry` runs before each retry.
    static func removeDirectory(_ path: String, beforeRetry: () -> Void = {}) throws(CgroupError) {
        var delay: UInt32 = 1_000
        var waited: UInt32 = 0
        while true {
            if rmdir(path) == 0 { return }
            let e = Glibc.errno
            if e == ENOENT { return }
            if e != EBUSY || waited >= 1_000_000 { throw CgroupError("rmdir", path: path, errno: e) }
            beforeRetry()
            usleep(delay)
            waited += delay
            delay = min(delay * 2, 100_000)
        }
    }
}

extension StringProtocol {
    var trimmingWhitespace: SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }
}
