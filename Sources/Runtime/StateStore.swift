import CHusk
import Glibc
import JSON
import Sys

/// The directory tree under --root: one directory per container holding state.json,
/// config.json (the config as it was at create) and, until start, the exec.fifo.
public struct StateStore: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public func directory(of id: String) -> String { root + "/" + id }
    public func fifoPath(of id: String) -> String { directory(of: id) + "/exec.fifo" }

    /// Makes the container's directory; fails if the ID is taken (mkdir is the atomic claim).
    public func claim(_ id: String) throws(HuskError) -> String {
        do {
            try Files.makeDirectories(root, mode: geteuid() == 0 ? 0o711 : 0o700)
        } catch {
            throw HuskError(error, stage: "state dir")
        }
        try checkPrivateRoot()
        let dir = directory(of: id)
        if mkdir(dir, 0o711) != 0 {
            if errno == EEXIST { throw HuskError("container \"\(id)\" already exists (state in \(dir))") }
            throw HuskError(SysError("mkdir", path: dir), stage: "state dir")
        }
        return dir
    }

    /// For an unprivileged user the root (by default /tmp/husk-$UID when there is no
    /// $XDG_RUNTIME_DIR) must be a directory of that user that nobody else can write: another
    /// user who made it first could plant state naming any of the user's processes.
    func checkPrivateRoot() throws(HuskError) {
        let me = geteuid()
        guard me != 0 else { return }
        var st = stat()
        guard lstat(root, &st) == 0 else {
            if errno == ENOENT { return }
            throw HuskError(SysError("lstat", path: root), stage: "state dir")
        }
        if (st.st_mode & S_IFMT) != S_IFDIR || st.st_uid != me || st.st_mode & 0o022 != 0 {
            throw HuskError("state root \(root) is not a private directory of yours (uid \(me)): it is "
                + ((st.st_mode & S_IFMT) != S_IFDIR ? "not a directory" : "owned by uid \(st.st_uid) with mode \(String(st.st_mode & 0o7777, radix: 8))")
                + "; refusing to keep container state there (pass --root, or set XDG_RUNTIME_DIR)")
        }
        // Whoever may rename entries of the parent could swap the root for their own.
        let trimmed = root.hasSuffix("/") ? String(root.dropLast()) : root
        let parent = trimmed.lastIndex(of: "/").map { $0 == trimmed.startIndex ? "/" : String(trimmed[..<$0]) } ?? "."
        var pst = stat()
        if lstat(parent, &pst) == 0, (pst.st_uid != me && pst.st_uid != 0)
            || (pst.st_mode & 0o022 != 0 && pst.st_mode & S_ISVTX == 0) {
            throw HuskError("state root \(root) is in \(parent), which others may change (owner uid \(pst.st_uid), mode "
                + "\(String(pst.st_mode & 0o7777, radix: 8))); refusing to keep container state there (pass --root, or set XDG_RUNTIME_DIR)")
        }
    }

    public func save(_ record: ContainerRecord) throws(HuskError) {
        let path = directory(of: record.id) + "/state.json"
        do {
            try Files.writeAtomically(path, Array(JSON.serialize(record.json).utf8), mode: 0o600)
        } catch {
            throw HuskError(error, stage: "save state")
        }
    }

    public func load(_ id: String) throws(HuskError) -> ContainerRecord {
        try ContainerID.validate(id)
        try checkPrivateRoot()
        let path = directory(of: id) + "/state.json"
        let bytes: [UInt8]
        do {
            bytes = try Files.read(path)
        } catch {
            if error.errno == ENOENT { throw HuskError("container \"\(id)\" does not exist") }
            throw HuskError(error, stage: "load state")
        }
        guard let json = try? JSON.parse(bytes), let record = ContainerRecord(json: json) else {
            throw HuskError("state of container \"\(id)\" is corrupt: \(path)")
        }
        var result = record
        result.exit = loadExit(id)
        return result
    }

    /// exit.json: how init ended, written by the supervisor (nil when there is none yet).
    public func exitPath(of id: String) -> String { directory(of: id) + "/exit.json" }

    public func loadExit(_ id: String) -> ExitRecord? {
        guard let bytes = try? Files.read(exitPath(of: id)), let json = try? JSON.parse(bytes) else { return nil }
        return ExitRecord(json: json)
    }

    public func ids() -> [String] {
        Files.listDirectory(root).filter { Files.exists(directory(of: $0) + "/state.json") }
    }

    public func remove(_ id: String) throws(HuskError) {
        // The files every state dir may hold, by name: the tree walk then finds it empty.
        let dir = directory(of: id)
        for file in ["state.json", "config.json", "exec.fifo"] { unlink(dir + "/" + file) }
        do {
            try Files.removeTree(dir)
        } catch {
            throw HuskError(error, stage: "remove state")
        }
    }

    /// Serialises verbs on one container (flock on its directory), released on close.
    public func lock(_ id: String) throws(HuskError) -> Int32 {
        let dir = directory(of: id)
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { throw HuskError("container \"\(id)\" does not exist") }
            throw HuskError(SysError("open", path: dir), stage: "lock")
        }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        return fd
    }
}
