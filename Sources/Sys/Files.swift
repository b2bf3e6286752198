import Glibc

/// Whole-file and directory helpers; every failure names the path.
public enum Files {
    public static func read(_ path: String) throws(SysError) -> [UInt8] {
        let fd = try retrying("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var out: [UInt8] = []
        // An uninitialised buffer: most reads are small /proc and cgroup files, for which
        // zeroing a fresh 16 KiB chunk cost more than the read.
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16384) { chunk throws(SysError) in
            while true {
                let n = try retrying("read", path: path) { Glibc.read(fd, chunk.baseAddress, chunk.count) }
                if n == 0 { return out }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<n]))
            }
        }
    }

    public static func readString(_ path: String) throws(SysError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Writes via a temporary file and rename, so readers never see a half-written file.
    public static func writeAtomically(_ path: String, _ bytes: some Collection<UInt8>, mode: mode_t = 0o644) throws(SysError) {
        let tmp = path + ".tmp"
        let fd = try retrying("create", path: tmp) { open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        do {
            try writeAll(fd, Array(bytes), path: tmp)
            close(fd)
            try retrying("rename", path: path) { rename(tmp, path) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
    }

    public static func write(_ path: String, _ text: String, flags: Int32 = O_WRONLY | O_CREAT | O_TRUNC, mode: mode_t = 0o644) throws(SysError) {
        let fd = try retrying("open", path: path) { open(path, flags | O_CLOEXEC, mode) }
        defer { close(fd) }
        try writeAll(fd, Array(text.utf8), path: path)
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SysError) {
        var offset = 0
        while offset < bytes.count {
            let n = try retrying("write", path: path) {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += n
        }
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir -p; existing directories are fine.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SysError) {
        if isDirectory(path) { return }
        var prefix = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            if mkdir(prefix, mode) != 0 && errno != EEXIST { throw SysError("mkdir", path: prefix) }
        }
    }

    /// Removes a directory tree without following symlinks (state dirs hold only plain files).
    public static func removeTree(_ path: String) throws(SysError) {
        // Most directories met here are empty (mount points, overlay work dirs): one rmdir,
        // no listing. ENOTEMPTY (or EBUSY, a mount point) goes on to the listing below.
        if rmdir(path) == 0 || errno == ENOENT { return }
        guard let dir = opendir(path) else {
            if errno == ENOENT { return }
            if errno == ENOTDIR { try retrying("unlink", path: path) { unlink(path) }; return }
            throw SysError("opendir", path: path)
        }
        var names: [(String, Bool)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name == "." || name == ".." { continue }
            names.append((name, entry.pointee.d_type == UInt8(DT_DIR)))
        }
        closedir(dir)
        for (name, isDir) in names {
            let child = path + "/" + name
            if isDir { try removeTree(child) } else if unlink(child) != 0 && errno != ENOENT { throw SysError("unlink", path: child) }
        }
        if rmdir(path) != 0 && errno != ENOENT { throw SysError("rmdir", path: path) }
    }

    public static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func realPath(_ path: String) throws(SysError) -> String {
        guard let p = realpath(path, nil) else { throw SysError("resolve", path: path) }
        defer { free(p) }
        return String(cString: p)
    }

    public static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return String(cString: buf)
    }

    /// An absolute, lexically cleaned path ("a/../b" → "/cwd/b"); no symlinks resolved.
    public static func absolute(_ path: String, relativeTo base: String? = nil) -> String {
        let joined = path.hasPrefix("/") ? path : (base ?? currentDirectory()) + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
