// Shared by the private podman and containerd setups: what an engine leaves behind for a
// while after `rm` (shims, conmon, cleanup commands, mounts) is given time, then removed.
import Foundation

enum EngineCleanup {
    /// Waits up to `seconds` for the processes `find` reports to go away, then SIGKILLs the
    /// rest; returns one problem line per process that had to be killed.
    static func reapStray(within seconds: Double, _ find: () -> [(Int32, String)]) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var stray = find()
        while !stray.isEmpty && Date() < deadline {
            usleep(100_000)
            stray = find()
        }
        for (pid, _) in stray { kill(pid, SIGKILL) }
        if !stray.isEmpty { usleep(300_000) }
        return stray.map { "process \($0.0): \($0.1)" }
    }

    /// Lazily unmounts every mount below `dir`, deepest first; one problem line per mount.
    static func unmountAll(under dir: String) -> [String] {
        let points = Sandbox.hostMountinfo().compactMap { line -> String? in
            let f = line.split(separator: " ")
            return f.count > 4 && f[4].hasPrefix(dir) ? String(f[4]) : nil
        }.sorted { $0.count > $1.count }
        for p in points { umount2(p, Int32(MNT_DETACH)) }
        return points.map { "mount \($0)" }
    }
}
