import CHusk
import Glibc
import Sys

extension Runtime {
    /// `husk wait`: blocks until the container is stopped. Returns its exit record when the
    /// supervisor wrote one (run -d); nil when nobody recorded how init ended (a container of
    /// create/start whose init is someone else's child, or whose supervisor was killed): then
    /// husk only waits for init's pid through a pidfd.
    public func wait(_ id: String) throws(HuskError) -> ExitRecord? {
        let record = try store.load(id)
        while true {
            if let exit = store.loadExit(id) { return exit }
            guard Files.isDirectory(store.directory(of: id)) else { return nil }
            if supervisorAlive(record), let pid = record.supervisorPid {
                let fd = husk_pidfd_open(pid)
                if fd >= 0 {
                    if supervisorAlive(record) { _ = waitExit(pidfd: fd, timeoutMs: -1) }
                    Glibc.close(fd)
                    continue
                }
            }
            if let fd = openInit(record) {
                _ = waitExit(pidfd: fd, timeoutMs: -1)
                Glibc.close(fd)
                // A supervisor that died meanwhile cannot have written anything; one that lives does so now.
                if supervisorAlive(record) { continue }
                return store.loadExit(id)
            }
            return store.loadExit(id)
        }
    }
}
