import CImages
import Glibc

/// Unpacks a layer tar into a directory without ever writing outside it.
///
/// Safety rules: every entry path is relative to the root (a leading "/" is dropped, as the
/// image-spec says); a ".." component fails the layer; parents are opened with openat2
/// RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS, so a symlink planted by an earlier entry or layer is never
/// followed (the entry fails); the final component is created with *at calls that do not follow
/// symlinks (an existing object is removed first); hardlink targets resolve the same way inside
/// the root; device nodes and owners only when running as root.
public struct Unpacker {
    public enum Whiteouts: Sendable {
        /// `.wh.NAME` removes NAME below; `.wh..wh..opq` empties the directory of lower content.
        case apply
        /// Record them as overlayfs does: a 0:0 char device, `trusted.overlay.opaque=y`.
        case overlay
    }

    public let root: String
    public var whiteouts: Whiteouts
    public var restoreOwners = geteuid() == 0
    public var allowDevices = geteuid() == 0

    public init(root: String, whiteouts: Whiteouts) {
        self.root = root
        self.whiteouts = whiteouts
    }

    /// Unpacks one layer (an uncompressed tar stream).
    public func unpack(_ source: any ByteReader) throws(ImageError) {
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if rootFD < 0 { throw ImageError("open \(root): \(String(cString: strerror(errno)))") }
        defer { close(rootFD) }
        let tar = TarReader(source)
        var created = Set<String>()
        var directories: [(path: [String], entry: TarEntry)] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 18)
        // Consecutive entries mostly share a parent: keep its fd. It is dropped when an entry
        // replaces that directory or one above it, and after every whiteout (which may remove
        // any of them). A kept fd is a directory inside the root, so it can only ever be stale
        // (already removed), never lead outside.
        var cached: (key: String, fd: Int32)? = nil
        func dropCache() { if let c = cached { close(c.fd) }; cached = nil }
        defer { dropCache() }
        while let entry = try tar.next() {
            let parts = try Self.components(entry.path, entry: entry.path)
            guard let name = parts.last else { continue }  // the root itself: leave it
            let parentParts = Array(parts.dropLast())
            let key = parentParts.joined(separator: "/")
            let path = key.isEmpty ? name : key + "/" + name
            if let c = cached, c.key == path || c.key.hasPrefix(path + "/") { dropCache() }
            let parent: Int32
            if parentParts.isEmpty {
                parent = rootFD
            } else if let c = cached, c.key == key {
                parent = c.fd
            } else {
                dropCache()
                parent = try openParent(rootFD, parentParts, create: true, entry: entry.path)
                cached = (key, parent)
            }

            if name.hasPrefix(".wh.") {
                try whiteout(parent: parent, parentParts: parentParts, name: name, created: created, entry: entry.path)
                dropCache()
                continue
            }
            var st = stat()
            if fstatat(parent, name, &st, cimg_at_symlink_nofollow()) == 0 {
                let isDir = (st.st_mode & S_IFMT) == S_IFDIR
                if !(isDir && entry.kind == .directory) { try Self.remove(parent, name, path: entry.path) }
            }
            try create(entry, parent: parent, name: name, rootFD: rootFD, tar: tar, buffer: &buffer)
            if whiteouts == .apply { created.insert(path) }  // only opaque whiteouts applied here ask
            if entry.kind == .directory { directories.append((parts, entry)) } else if entry.kind != .hardlink { try metadata(entry, parent: parent, name: name) }
        }
        // Directory modes and times last: later entries would change the times, and a read-only
        // mode would stop them being written as non-root.
        for (parts, entry) in directories.reversed() {
            let parent = try openParent(rootFD, Array(parts.dropLast()), create: false, entry: entry.path)
            defer { if parent != rootFD { close(parent) } }
            try metadata(entry, parent: parent, name: parts.last!)
        }
    }

    /// Path components relative to the root: "" and "." dropped, ".." refused.
    public static func components(_ path: String, entry: String) throws(ImageError) -> [String] {
        var out: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw ImageError("layer entry \"\(entry)\": a \"..\" component is not allowed") }
            out.append(String(part))
        }
        return out
    }

    /// Opens (O_PATH) the directory `parts` inside the root, never through a symlink; missing
    /// directories are created (0755) when `create` is set.
    private func openParent(_ rootFD: Int32, _ parts: [String], create: Bool, entry: String) throws(ImageError) -> Int32 {
        if parts.isEmpty { return rootFD }
        let joined = parts.joined(separator: "/")
        let fd = cimg_open_in_root(rootFD, joined, cimg_o_path() | cimg_o_directory(), 0)
        if fd >= 0 { return fd }
        if -fd != ENOENT || !create { throw parentError(-fd, joined, entry) }
        // Walk and create, one component at a time, never following a symlink.
        var current = rootFD
        for (i, part) in parts.enumerated() {
            if mkdirat(current, part, 0o755) != 0 && errno != EEXIST {
                let e = errno
                if current != rootFD { close(current) }
                throw parentError(e, parts[...i].joined(separator: "/"), entry)
            }
            let next = openat(current, part, cimg_o_path() | cimg_o_directory() | cimg_o_nofollow() | O_CLOEXEC)
            let e = errno
            if current != rootFD { close(current) }
            if next < 0 { throw parentError(e, parts[...i].joined(separator: "/"), entry) }
            current = next
        }
        return current
    }

    private func parentError(_ e: Int32, _ parent: String, _ entry: String) -> ImageError {
        if e == ELOOP || e == ENOTDIR || e == EXDEV {
            return ImageError("layer entry \"\(entry)\": parent \"\(parent)\" is a symlink or not a directory (symlinks are never followed while unpacking)")
        }
        return ImageError("layer entry \"\(entry)\": open parent \"\(parent)\": \(String(cString: strerror(e)))")
    }

    private func whiteout(parent: Int32, parentParts: [String], name: String, created: Set<String>, entry: String) throws(ImageError) {
        let prefix = parentParts.isEmpty ? "" : parentParts.joined(separator: "/") + "/"
        if name == ".wh..wh..opq" {
            switch whiteouts {
            case .apply:
                // Lower content goes; entries this layer already wrote stay.
                let dir = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if dir < 0 { throw ImageError("layer entry \"\(entry)\": open: \(String(cString: strerror(errno)))") }
                defer { close(dir) }
                for child in Self.list(dir) where !created.contains(prefix + child) {
                    try Self.remove(dir, child, path: prefix + child)
                }
            case .overlay:
                let r = cimg_lsetxattr_at(parent, ".", "trusted.overlay.opaque", "y", 1)
                if r < 0 { throw ImageError("layer entry \"\(entry)\": set trusted.overlay.opaque: \(String(cString: strerror(-r)))") }
            }
            return
        }
        if name.hasPrefix(".wh..wh.") { return }  // other AUFS metadata (.wh..wh.plnk …)
        let target = String(name.dropFirst(4))
        if target.isEmpty || target == "." || target == ".." { throw ImageError("layer entry \"\(entry)\": invalid whiteout") }
        switch whiteouts {
        case .apply:
            try Self.remove(parent, target, path: prefix + target)
        case .overlay:
            try Self.remove(parent, target, path: prefix + target)
            let r = cimg_mknodat(parent, target, S_IFCHR | 0o000, 0, 0)
            if r < 0 { throw ImageError("layer entry \"\(entry)\": create the overlay whiteout: \(String(cString: strerror(-r))) (needs root)") }
        }
    }

    private func create(_ entry: TarEntry, parent: Int32, name: String, rootFD: Int32, tar: TarReader, buffer chunk: inout [UInt8]) throws(ImageError) {
        func fail(_ what: String, _ e: Int32 = errno) -> ImageError {
            ImageError("layer entry \"\(entry.path)\": \(what): \(String(cString: strerror(e)))")
        }
        switch entry.kind {
        case .directory:
            if mkdirat(parent, name, 0o755) != 0 && errno != EEXIST { throw fail("mkdir") }
        case .file:
            let fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | cimg_o_nofollow(), 0o600)
            if fd < 0 { throw fail("create") }
            defer { close(fd) }
            while true {
                let n = try tar.read(into: &chunk)
                if n == 0 { break }
                var off = 0
                while off < n {
                    let w = chunk.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, n - off) }
                    if w < 0 { if errno == EINTR { continue }; throw fail("write") }
                    off += w
                }
            }
        case .symlink:
            if symlinkat(entry.linkTarget, parent, name) != 0 { throw fail("symlink") }
        case .hardlink:
            let parts = try Self.components(entry.linkTarget, entry: entry.path)
            guard let targetName = parts.last else { throw ImageError("layer entry \"\(entry.path)\": hardlink to the root") }
            let targetParent = try openParent(rootFD, Array(parts.dropLast()), create: false, entry: entry.path)
            defer { if targetParent != rootFD { close(targetParent) } }
            // flags 0: a symlink target is linked itself, never followed.
            if linkat(targetParent, targetName, parent, name, 0) != 0 { throw fail("hardlink to \"\(entry.linkTarget)\"") }
        case .charDevice, .blockDevice:
            guard allowDevices else { return }
            let type = entry.kind == .charDevice ? S_IFCHR : S_IFBLK
            let r = cimg_mknodat(parent, name, type | (entry.mode & 0o777), entry.devMajor, entry.devMinor)
            if r < 0 { throw fail("mknod", -r) }
        case .fifo:
            let r = cimg_mknodat(parent, name, S_IFIFO | (entry.mode & 0o777), 0, 0)
            if r < 0 { throw fail("mkfifo", -r) }
        }
    }

    private func metadata(_ entry: TarEntry, parent: Int32, name: String) throws(ImageError) {
        if (entry.kind == .charDevice || entry.kind == .blockDevice) && !allowDevices { return }
        func fail(_ what: String, _ e: Int32 = errno) -> ImageError {
            ImageError("layer entry \"\(entry.path)\": \(what): \(String(cString: strerror(e)))")
        }
        if restoreOwners, fchownat(parent, name, uid_t(truncatingIfNeeded: entry.uid), gid_t(truncatingIfNeeded: entry.gid), cimg_at_symlink_nofollow()) != 0 {
            throw fail("chown")
        }
        for x in entry.xattrs {
            let r = x.value.withUnsafeBytes { cimg_lsetxattr_at(parent, name, x.name, $0.baseAddress, $0.count) }
            if r < 0 && -r != EPERM && -r != ENOTSUP && -r != EOPNOTSUPP { throw fail("set xattr \(x.name)", -r) }
        }
        if entry.kind != .symlink {
            // After chown, which clears set-id bits. The object was created by us just now, not a symlink.
            var mode = entry.mode & 0o7777
            if !restoreOwners { mode &= 0o1777 }
            if fchmodat(parent, name, mode_t(mode), 0) != 0 { throw fail("chmod") }
        }
        _ = cimg_set_mtime(parent, name, entry.mtime, entry.mtimeNanoseconds)
    }

    static func list(_ dirFD: Int32) -> [String] {
        let dup = openat(dirFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dup >= 0, let d = fdopendir(dup) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if n != "." && n != ".." { names.append(n) }
        }
        return names
    }

    /// Removes dirFD/name (a tree), never following symlinks. A missing name is fine.
    static func remove(_ dirFD: Int32, _ name: String, path: String) throws(ImageError) {
        var st = stat()
        if fstatat(dirFD, name, &st, cimg_at_symlink_nofollow()) != 0 { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            let fd = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | cimg_o_nofollow())
            if fd >= 0 {
                defer { close(fd) }
                for child in list(fd) { try remove(fd, child, path: path + "/" + child) }
            }
            if unlinkat(dirFD, name, cimg_at_removedir()) != 0 && errno != ENOENT {
                throw ImageError("remove \(path): \(String(cString: strerror(errno)))")
            }
        } else if unlinkat(dirFD, name, 0) != 0 && errno != ENOENT {
            throw ImageError("remove \(path): \(String(cString: strerror(errno)))")
        }
    }
}
