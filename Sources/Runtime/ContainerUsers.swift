import CHusk
import Glibc
import Sys

/// User and group names as the container's /etc/passwd and /etc/group define them, read
/// from the host side through openat2(RESOLVE_IN_ROOT) so the image cannot redirect the read.
enum ContainerUsers {
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

    /// The colon-separated fields of the line whose first field is `name`, nil if none.
    private static func lookup(_ name: String, in file: String, rootfs: String) throws(HuskError) -> [Substring]? {
        let fd = husk_open_in_root(rootfs, file)
        if fd < 0 {
            if -fd == ENOENT { return nil }
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
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.first.map(String.init) == name { return fields }
        }
        return nil
    }
}
