import Glibc

/// The store's garbage-collection lock (`gc.lock`, flock): import, pull, export and bundle
/// creation hold it shared while blobs or snapshots they need are not yet reachable from a
/// ref or a bundle; `image prune` holds it exclusive, so it never sweeps work in progress.
public final class StoreLock {
    private let fd: Int32

    init(root: String, exclusive: Bool) throws(ImageError) {
        let path = root + "/gc.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw ImageError("open \(path): \(String(cString: strerror(errno)))") }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw ImageError("lock \(path): \(String(cString: strerror(e)))")
        }
    }

    deinit { close(fd) }
}

extension ContentStore {
    /// Held (shared) for as long as the returned lock lives: no prune runs meanwhile.
    public func lease() throws(ImageError) -> StoreLock { try StoreLock(root: root, exclusive: false) }

    /// Held exclusive: no import, pull, export or run is between steps.
    public func exclusiveLock() throws(ImageError) -> StoreLock { try StoreLock(root: root, exclusive: true) }
}
