import CHusk
import Glibc
import Sys
import Tar

/// Turns an overlayfs upper directory into an OCI layer tarball (image-spec layer.md):
/// - a whiteout (a character device 0:0 that overlayfs leaves for a deleted name) becomes an
///   empty file `.wh.NAME` beside it;
/// - an opaque directory (xattr `trusted.overlay.opaque` = "y", a directory deleted and made
///   again) is written, followed by `DIR/.wh..wh..opq`, so lower contents stay hidden;
/// - everything else (files, dirs, symlinks, devices, fifos) as it is, hard links inside the
///   layer as tar links; parents come before children, names sorted, so the output is stable.
public enum LayerDiff {
    public static let whiteoutPrefix = ".wh."
    public static let opaqueMarker = ".wh..wh..opq"

    /// What one name of the upper dir becomes in the layer.
    public enum Change: Equatable, Sendable {
        case whiteout(path: String)
        case opaqueDirectory(path: String)
        case entry(path: String)
    }

    /// The whiteout file name for a deleted `path` ("a/b" → "a/.wh.b").
    public static func whiteoutPath(for path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return whiteoutPrefix + path }
        return String(path[...slash]) + whiteoutPrefix + String(path[path.index(after: slash)...])
    }

    /// Writes the layer of `upper` to `tar` (without finishing it); returns the number of changes.
    @discardableResult
    public static func export(upper: String, to tar: TarWriter) throws(SysError) -> Int {
        var links: [String: String] = [:]   // "dev:ino" → first path, for nlink > 1
        return try walk(upper, relative: "", tar: tar, links: &links)
    }

    private static func walk(_ dir: String, relative: String, tar: TarWriter, links: inout [String: String]) throws(SysError) -> Int {
        var count = 0
        for name in Files.listDirectory(dir) {
            let host = dir + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            if lstat(host, &st) != 0 { throw SysError("lstat", path: host) }
            let type = st.st_mode & S_IFMT
            var entry = TarWriter.Entry(path: path, kind: .file, mode: UInt32(st.st_mode & 0o7777), uid: st.st_uid,
                                        gid: st.st_gid, mtime: Int64(st.st_mtim.tv_sec))
            switch type {
            case S_IFCHR where st.st_rdev == 0:
                try tar.add(TarWriter.Entry(path: whiteoutPath(for: path), kind: .file, mode: 0o644))
                count += 1
                continue
            case S_IFDIR:
                entry.kind = .directory
                try tar.add(entry)
                count += 1
                if isOpaque(host) {
                    try tar.add(TarWriter.Entry(path: path + "/" + opaqueMarker, kind: .file, mode: 0o644))
                }
                count += try walk(host, relative: path, tar: tar, links: &links)
                continue
            case S_IFLNK:
                entry.kind = .symlink(target: try readLink(host))
            case S_IFCHR:
                entry.kind = .characterDevice(major: major(st.st_rdev), minor: minor(st.st_rdev))
            case S_IFBLK:
                entry.kind = .blockDevice(major: major(st.st_rdev), minor: minor(st.st_rdev))
            case S_IFIFO:
                entry.kind = .fifo
            case S_IFREG:
                if st.st_nlink > 1 {
                    let key = "\(st.st_dev):\(st.st_ino)"
                    if let first = links[key] {
                        entry.kind = .hardlink(target: first)
                        try tar.add(entry)
                        count += 1
                        continue
                    }
                    links[key] = path
                }
                let fd = try retrying("open", path: host) { open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
                defer { close(fd) }
                entry.size = UInt64(st.st_size)
                try tar.add(entry)
                try tar.copyContent(from: fd, path: host)
                count += 1
                continue
            default:
                continue // sockets do not go into layers
            }
            try tar.add(entry)
            count += 1
        }
        return count
    }

    /// overlayfs marks a directory that replaced a deleted one with trusted.overlay.opaque=y
    /// (user.overlay.opaque with the userxattr mount option).
    static func isOpaque(_ dir: String) -> Bool {
        for name in ["trusted.overlay.opaque", "user.overlay.opaque"] {
            var value = [UInt8](repeating: 0, count: 4)
            let n = husk_lgetxattr(dir, name, &value, value.count)
            if n > 0 && value[0] == UInt8(ascii: "y") { return true }
        }
        return false
    }

    /// glibc's gnu_dev_major/gnu_dev_minor (macros Swift does not import).
    static func major(_ dev: dev_t) -> UInt32 { UInt32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)) }
    static func minor(_ dev: dev_t) -> UInt32 { UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~0xff)) }

    static func readLink(_ path: String) throws(SysError) -> String {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buf, buf.count - 1)
        if n < 0 { throw SysError("readlink", path: path) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
