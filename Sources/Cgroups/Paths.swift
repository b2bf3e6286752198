import Synchronization
import Glibc
import Sys

/// The container's cgroup path inside each hierarchy, cleaned so ".." cannot climb out.
struct InnerPath: Equatable, Sendable {
    /// Components joined by "/", no leading or trailing slash; never empty.
    var path: String
    /// Absolute (from the hierarchy root) or relative to husk's own cgroup.
    var absolute: Bool
}

enum CgroupPath {
    /// OCI `cgroupsPath` → inner path. nil or "" → relative `<id>`.
    /// systemd-style "slice:prefix:name" is refused: husk has only the cgroupfs driver.
    static func inner(cgroupsPath: String?, containerID: String) throws(CgroupError) -> InnerPath {
        guard let raw = cgroupsPath, !raw.isEmpty else {
            return InnerPath(path: containerID, absolute: false)
        }
        if !raw.hasPrefix("/") && raw.split(separator: ":", omittingEmptySubsequences: false).count == 3 && !raw.contains("/") {
            throw CgroupError("linux.cgroupsPath \"\(raw)\" looks like a systemd slice:prefix:name path; husk only drives cgroupfs", field: "linux.cgroupsPath")
        }
        var parts: [Substring] = []
        for part in raw.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        guard !parts.isEmpty else {
            throw CgroupError("linux.cgroupsPath \"\(raw)\" names the cgroup root itself", field: "linux.cgroupsPath")
        }
        return InnerPath(path: parts.joined(separator: "/"), absolute: raw.hasPrefix("/"))
    }

    /// `base` + "/" + `rest`, without doubled slashes.
    static func join(_ base: String, _ rest: String) -> String {
        let trimmed = rest.drop(while: { $0 == "/" })
        if trimmed.isEmpty { return base }
        return base.hasSuffix("/") ? base + trimmed : base + "/" + trimmed
    }
}

/// A mounted v1 hierarchy and husk's place in it.
struct V1Hierarchy: Equatable, Sendable {
    /// Controllers bound to it, e.g. ["cpu", "cpuacct"].
    var controllers: [String]
    var mountPoint: String
    /// husk's own cgroup relative to the mount point ("/" when at the top).
    var ownCgroup: String

    /// The directory for `inner` in this hierarchy.
    func directory(for inner: InnerPath) -> String {
        inner.absolute ? CgroupPath.join(mountPoint, inner.path)
            : CgroupPath.join(CgroupPath.join(mountPoint, ownCgroup), inner.path)
    }

    /// The directory below which husk may create levels (own cgroup, or the root for absolute paths).
    func base(for inner: InnerPath) -> String {
        inner.absolute ? mountPoint : CgroupPath.join(mountPoint, ownCgroup)
    }
}

/// A cgroup2 mount and husk's own cgroup in it.
struct UnifiedHierarchy: Equatable, Sendable {
    var mountPoint: String
    var ownCgroup: String
}

/// Parsing of /proc/self/mountinfo and /proc/self/cgroup.
enum Proc {
    /// The v1 controllers husk joins when their hierarchy is mounted.
    static let v1Controllers = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
                                "net_cls", "net_prio", "hugetlb", "perf_event", "rdma", "misc"]

    struct Mount: Equatable, Sendable {
        var root: String
        var mountPoint: String
        var fsType: String
        var superOptions: [String]
    }

    /// Entries of a mountinfo text with fstype cgroup or cgroup2.
    static func cgroupMounts(mountinfo: String) -> [Mount] {
        var out: [Mount] = []
        // Split bytes, not Characters: grapheme breaking made this a tenth of a sandbox's CPU.
        for line in mountinfo.utf8.split(separator: UInt8(ascii: "\n")) where mentionsCgroupType(line) {
            let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard let dash = fields.firstIndex(where: { $0.elementsEqual("-".utf8) }), dash >= 5, fields.count >= dash + 4 else { continue }
            let fsType = fields[dash + 1]
            guard fsType.elementsEqual("cgroup".utf8) || fsType.elementsEqual("cgroup2".utf8) else { continue }
            out.append(Mount(root: unescapeMountinfoField(Substring(fields[3])), mountPoint: unescapeMountinfoField(Substring(fields[4])),
                             fsType: String(Substring(fsType)),
                             superOptions: fields[dash + 3].split(separator: UInt8(ascii: ",")).map { String(Substring($0)) }))
        }
        return out
    }

    /// Whether a mountinfo line has " - cgroup" in it (the fstype after the separator, or a
    /// path that says so): the other lines, most of them, are not split into fields at all.
    private static func mentionsCgroupType(_ line: Substring.UTF8View) -> Bool {
        let needle = Array(" - cgroup".utf8)
        var i = line.startIndex
        while let dash = line[i...].firstIndex(of: UInt8(ascii: "-")) {
            if line.distance(from: line.startIndex, to: dash) >= 1,
               line[line.index(before: dash)...].starts(with: needle) { return true }
            i = line.index(after: dash)
        }
        return false
    }

    /// Lines of /proc/self/cgroup: (hierarchy id, controllers, path).
    static func cgroupLines(_ text: String) -> [(id: String, controllers: [String], path: String)] {
        text.utf8.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let f = line.split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { return nil }
            return (String(Substring(f[0])), f[1].split(separator: UInt8(ascii: ",")).map { String(Substring($0)) }, String(Substring(f[2])))
        }
    }

    /// husk's own path relative to a mount whose root is `mountRoot` (cgroup namespaces, bind mounts).
    static func relative(_ own: String, toMountRoot mountRoot: String) -> String {
        if mountRoot == "/" { return own }
        if own == mountRoot { return "/" }
        if own.hasPrefix(mountRoot + "/") { return String(own.dropFirst(mountRoot.count)) }
        return own
    }

    /// The mounted v1 hierarchies with the known controllers (first mount of each wins).
    static func v1Hierarchies(mountinfo: String, procCgroup: String) -> [V1Hierarchy] {
        v1Hierarchies(mounts: cgroupMounts(mountinfo: mountinfo), procCgroup: procCgroup)
    }

    static func v1Hierarchies(mounts: [Mount], procCgroup: String) -> [V1Hierarchy] {
        let lines = cgroupLines(procCgroup)
        var seen: Set<String> = []
        var out: [V1Hierarchy] = []
        for mount in mounts where mount.fsType == "cgroup" {
            let controllers = mount.superOptions.filter { v1Controllers.contains($0) }
            guard !controllers.isEmpty, !controllers.contains(where: seen.contains) else { continue }
            guard let line = lines.first(where: { $0.id != "0" && Set($0.controllers.filter { v1Controllers.contains($0) }) == Set(controllers) }) else { continue }
            controllers.forEach { seen.insert($0) }
            out.append(V1Hierarchy(controllers: controllers, mountPoint: mount.mountPoint,
                                   ownCgroup: relative(line.path, toMountRoot: mount.root)))
        }
        return out
    }

    static func v1Hierarchies(procCgroup: String? = nil) throws(CgroupError) -> [V1Hierarchy] {
        let mounts = try hostCgroupMounts()
        let cgroup: String
        if let procCgroup { cgroup = procCgroup } else { cgroup = try FS.read("/proc/self/cgroup") }
        if let last = hierarchiesFound.withLock({ $0 }), last.procCgroup == cgroup { return last.hierarchies }
        let found = v1Hierarchies(mounts: mounts, procCgroup: cgroup)
        hierarchiesFound.withLock { $0 = (cgroup, found) }
        return found
    }

    /// The last answer of v1Hierarchies(procCgroup:): a sandbox asks three times (create, its
    /// accounting, delete) with the same /proc/self/cgroup text.
    private static let hierarchiesFound = Mutex<(procCgroup: String, hierarchies: [V1Hierarchy])?>(nil)

    private static let mountsRead = Mutex<[Mount]?>(nil)

    /// This host's cgroup mounts whose mount point statfs confirms, from /proc/self/mountinfo
    /// read and parsed once per process: a sandbox asks at create, for its accounting and at
    /// delete, and each read and parse cost about as much as creating a cgroup directory.
    static func hostCgroupMounts() throws(CgroupError) -> [Mount] {
        if let mounts = mountsRead.withLock({ $0 }) { return mounts }
        let mounts = cgroupMounts(mountinfo: try FS.read("/proc/self/mountinfo")).filter {
            FS.magic(of: $0.mountPoint) == ($0.fsType == "cgroup2" ? FS.cgroup2Magic : FS.cgroup1Magic)
        }
        mountsRead.withLock { $0 = mounts }
        return mounts
    }

    /// The "0::" path of /proc/self/cgroup.
    static func ownCgroupV2(procCgroup: String) -> String? {
        cgroupLines(procCgroup).first(where: { $0.id == "0" && $0.controllers.isEmpty })?.path
    }

    static func ownCgroupV2(_ procCgroup: String? = nil) throws(CgroupError) -> String {
        let text: String
        if let procCgroup { text = procCgroup } else { text = try FS.read("/proc/self/cgroup") }
        guard let own = ownCgroupV2(procCgroup: text) else { throw CgroupError("/proc/self/cgroup has no cgroup2 (0::) line") }
        // Strip " (deleted)" that the kernel appends for a removed cgroup.
        return own.hasSuffix(" (deleted)") ? String(own.dropLast(10)) : own
    }

    /// On a v1/hybrid host: the cgroup2 mount (usually /sys/fs/cgroup/unified) and husk's place in it.
    static func unifiedHierarchy(mountinfo: String, procCgroup: String) -> UnifiedHierarchy? {
        unifiedHierarchy(mounts: cgroupMounts(mountinfo: mountinfo), procCgroup: procCgroup)
    }

    static func unifiedHierarchy(mounts: [Mount], procCgroup: String) -> UnifiedHierarchy? {
        guard let mount = mounts.first(where: { $0.fsType == "cgroup2" }),
              let own = ownCgroupV2(procCgroup: procCgroup) else { return nil }
        return UnifiedHierarchy(mountPoint: mount.mountPoint, ownCgroup: relative(own, toMountRoot: mount.root))
    }

    static func unifiedHierarchy(procCgroup: String? = nil) -> UnifiedHierarchy? {
        guard let mounts = try? hostCgroupMounts(), let cgroup = procCgroup ?? (try? FS.read("/proc/self/cgroup")) else { return nil }
        return unifiedHierarchy(mounts: mounts, procCgroup: cgroup)
    }
}
