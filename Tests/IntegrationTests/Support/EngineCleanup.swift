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

    /// Processes that belong to a setup under `dir`: their command line names it (shims,
    /// conmon, cleanup commands) or their root lies inside it (container processes).
    static func processes(using dir: String) -> [(Int32, String)] {
        Sandbox.allPids().compactMap { pid in
            guard pid != getpid(), !Sandbox.isZombie(pid) else { return nil }
            let cmd = ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "")
            let root = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/root")) ?? ""
            guard cmd.contains(dir + "/") || root.hasPrefix(dir + "/") else { return nil }
            return (pid, String(cmd.replacingOccurrences(of: "\u{0}", with: " ").prefix(300)))
        }
    }

    /// Removes `parent` (a cgroup path) and everything below it in every hierarchy, deepest
    /// first; returns a directory that could not be removed.
    static func removeCgroupTree(_ parent: String) -> String? {
        let fm = FileManager.default
        var failed: String?
        for hierarchy in (try? fm.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            let top = "/sys/fs/cgroup/\(hierarchy)\(parent)"
            guard fm.fileExists(atPath: top) else { continue }
            // Only directories: cgroup files cannot be removed, rmdir takes them along.
            var dirs = [top]
            if let walker = fm.enumerator(atPath: top) {
                for case let rel as String in walker {
                    var isDir: ObjCBool = false
                    if fm.fileExists(atPath: top + "/" + rel, isDirectory: &isDir), isDir.boolValue { dirs.append(top + "/" + rel) }
                }
            }
            for d in dirs.sorted(by: { $0.count > $1.count }) {
                // A just-killed process may still be leaving its cgroup (EBUSY): retry briefly.
                var tries = 0
                while rmdir(d) != 0 && errno == EBUSY && tries < 20 {
                    usleep(50_000)
                    tries += 1
                }
            }
            if fm.fileExists(atPath: top) { failed = top }
        }
        return failed
    }
}
