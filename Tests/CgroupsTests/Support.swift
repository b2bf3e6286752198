import Glibc
import Sys
@testable import Cgroups

/// Helpers shared by the cgroup tests: sleepers, unique names, reading knobs.
enum Support {
    static var isRoot: Bool { geteuid() == 0 }

    /// A name no other test (or earlier run) uses: husk-test-<pid>-<tag>-<random>.
    static func uniqueName(_ tag: String) -> String {
        "husk-test-\(getpid())-\(tag)-\(UInt32.random(in: 0..<UInt32.max))"
    }

    /// posix_spawn of /bin/sleep 300.
    static func spawnSleeper() -> pid_t {
        var pid: pid_t = 0
        let args: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("300"), nil]
        defer { args.forEach { free($0) } }
        let rc = posix_spawn(&pid, "/bin/sleep", nil, nil, args, environ)
        precondition(rc == 0, "posix_spawn: \(errnoText(rc))")
        return pid
    }

    /// Waits up to `seconds` for `pid` to exit; returns the terminating signal (0 if it exited or was reaped already, -1 if still running).
    static func reap(_ pid: pid_t, seconds: Double = 5) -> Int32 {
        var status: Int32 = 0
        for _ in 0..<Int(seconds * 100) {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                let sig = status & 0x7f
                return sig == 0 ? 0 : sig
            }
            if r < 0 && errno == ECHILD { return 0 }   // already reaped
            usleep(10_000)
        }
        return -1
    }

    /// Kills and reaps a sleeper that a failed test may have left.
    static func killAndReap(_ pid: pid_t) {
        kill(pid, SIGKILL)
        _ = reap(pid, seconds: 2)
    }

    static func knob(_ path: String) -> String? { FS.readTrimmed(path) }

    /// Best-effort removal of test cgroup directories (deepest first), for cleanup after failures.
    static func removeCgroupDirs(_ dirs: [String]) {
        for dir in dirs.sorted(by: { $0.count > $1.count }) where FS.isCgroupFS(dir) {
            CgroupTree.kill(CgroupTree.pids(dir))
            try? CgroupTree.remove(dir, beforeRetry: {})
        }
    }

    /// The v1 hierarchies the root tests need, all mounted.
    static var v1HostReady: Bool {
        guard isRoot, Cgroups.version == .v1, let hs = try? Proc.v1Hierarchies() else { return false }
        let controllers = Set(hs.flatMap(\.controllers))
        return ["memory", "pids", "cpu", "freezer", "devices", "cpuset"].allSatisfy(controllers.contains)
    }
}
