import CHusk
import Glibc
import Sys

/// User and group names as the container's /etc/passwd and /etc/group define them, read
/// from the host side through openat2(RESOLVE_IN_ROOT) so the image cannot redirect the read.
public enum ContainerUsers {
    /// A process identity: uid, primary gid and supplementary groups.
    public struct Identity: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]

        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32]) {
            self.uid = uid; self.gid = gid; self.additionalGids = additionalGids
        }
    }

    /// "name", "uid", "name:group", "uid:gid" → ids; a name needs the container's files.
    static func resolve(_ spec: String, rootfs: String) throws(HuskError) -> (uid: UInt32, gid: UInt32?) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let userPart = parts.first, !userPart.isEmpty else { throw HuskError("--user \"\(spec)\": empty user") }
        var gid: UInt32? = nil
        let uid: UInt32
        if let n = UInt32(userPart) {
            uid = n
        } else {
            guard let entry = try lookup(userPart, in: "/etc/passwd", rootfs: rootfs) else {
                throw HuskError("--user \(userPart): no such user in the container's /etc/passwd")
            }
            guard entry.count > 3, let u = UInt32(entry[2]), let g = UInt32(entry[3]) else {
                throw HuskError("--user \(userPart): malformed entry in the container's /etc/passwd")
            }
            uid = u
            gid = g
        }
        if parts.count > 1 {
            let groupPart = parts[1]
            if let n = UInt32(groupPart) {
                gid = n
            } else {
                guard let entry = try lookup(groupPart, in: "/etc/group", rootfs: rootfs), entry.count > 2, let g = UInt32(entry[2]) else {
                    throw HuskError("--user \(spec): no such group \(groupPart) in the container's /etc/group")
                }
                gid = g
            }
        }
        return (uid, gid)
    }

    /// The full identity for an image's process, as docker and runc compute it: the primary gid
    /// from /etc/passwd (also for a numeric uid listed there, else 0), an explicit group
    /// overriding it, and — only without an explicit group — every /etc/group entry that lists
    /// the user's name as supplementary groups. `what` names the source in errors
    /// ("--user", "image config User").
    public static func identity(_ spec: String, rootfs: String, what: String) throws(HuskError) -> Identity {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let userPart = parts.first, !userPart.isEmpty else { throw HuskError("\(what) \"\(spec)\": empty user") }
        let passwd = try lines("/etc/passwd", rootfs: rootfs)
        var entry: [Substring]?
        if let n = UInt32(userPart) {
            entry = passwd.first { $0.count > 3 && UInt32($0[2]) == n }
        } else {
            entry = passwd.first { $0.first.map(String.init) == userPart }
            if entry == nil { throw HuskError("\(what) \"\(spec)\": no user \(userPart) in the image's /etc/passwd") }
        }
        var id = Identity(uid: UInt32(userPart) ?? 0, gid: 0, additionalGids: [])
        if let entry {
            guard entry.count > 3, let u = UInt32(entry[2]), let g = UInt32(entry[3]) else {
                throw HuskError("\(what) \"\(spec)\": malformed entry for \(userPart) in the image's /etc/passwd")
            }
            id.uid = u
            id.gid = g
        }
        let groups = try lines("/etc/group", rootfs: rootfs)
        if parts.count > 1 {
            let groupPart = parts[1]
            if groupPart.isEmpty { throw HuskError("\(what) \"\(spec)\": empty group") }
            if let n = UInt32(groupPart) {
                id.gid = n
            } else {
                guard let g = groups.first(where: { $0.first.map(String.init) == groupPart }), g.count > 2, let n = UInt32(g[2]) else {
                    throw HuskError("\(what) \"\(spec)\": no group \(groupPart) in the image's /etc/group")
                }
                id.gid = n
            }
        } else if let name = entry?.first.map(String.init) {
            for g in groups where g.count > 3 {
                guard let n = UInt32(g[2]), n != id.gid, !id.additionalGids.contains(n) else { continue }
                if g[3].split(separator: ",").contains(where: { $0 == name }) { id.additionalGids.append(n) }
            }
        }
        return id
    }

    /// The colon-separated fields of the line whose first field is `name`, nil if none.
    private static func lookup(_ name: String, in file: String, rootfs: String) throws(HuskError) -> [Substring]? {
        try lines(file, rootfs: rootfs).first { $0.first.map(String.init) == name }
    }

    /// Every non-comment line of a colon-separated file inside the rootfs, split in fields; none if the file is missing.
    private static func lines(_ file: String, rootfs: String) throws(HuskError) -> [[Substring]] {
        let fd = husk_open_in_root(rootfs, file)
        if fd < 0 {
            if -fd == ENOENT { return [] }
            throw HuskError("read the container's \(file): \(errnoText(-fd))")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while bytes.count < 4 << 20 {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        close(fd)
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: ":", omittingEmptySubsequences: false) }
    }
}
