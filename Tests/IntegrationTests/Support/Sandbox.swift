// One test's private world: a temp dir under /var/tmp, a --root state dir, bundles, container IDs,
// and the runtime invoked against them. `cleanup()` (call it from `defer`) force-deletes every
// container the test created, kills helpers, and removes the temp dir; it records an issue when
// something was left behind (a state entry, a process rooted in a bundle, a mount, a cgroup).
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

final class Sandbox: @unchecked Sendable {
    let dir: String
    let stateRoot: String
    let ioDir: String
    private let lock = NSLock()
    private var ids: [String] = []
    private var bundles: [TestBundle] = []
    private var helpers: [Child] = []
    private var background: [Child] = []

    init() throws {
        var template = Array("/var/tmp/husk-it-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CommandError.spawn("mkdtemp", errno)
        }
        dir = String(cString: made)
        // Searchable by everyone: user-namespaced containers (host uid 100000) walk this path.
        chmod(dir, 0o755)
        stateRoot = dir + "/state"
        ioDir = dir + "/io"
        try FileManager.default.createDirectory(atPath: ioDir, withIntermediateDirectories: true)
    }

    // MARK: IDs, bundles, host dirs

    /// A fresh container ID, remembered for `delete --force` at cleanup.
    func newID(_ label: String = "c") -> String {
        let id = Harness.uniqueID(label)
        register(id)
        return id
    }

    /// Remembers an ID the test chose itself, so cleanup deletes it.
    func register(_ id: String) {
        lock.withLock { ids.append(id) }
    }

    func bundle(_ name: String = "bundle", mutate: (inout Config) throws -> Void = { _ in }) throws -> TestBundle {
        let b = try TestBundle(at: dir + "/" + name, mutate: mutate)
        lock.withLock { bundles.append(b) }
        return b
    }

    /// A fresh host directory inside the sandbox (mode 0777 so any container uid can write).
    func hostDir(_ name: String) throws -> String {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o777)
        return path
    }

    /// A host dir mounted at /ctl in the container, for handshakes: the container signals
    /// readiness by creating a file there, the test lets it go on by creating another.
    func controlDir(_ config: inout Config) throws -> String {
        let path = try hostDir("ctl")
        config.addMount(destination: "/ctl", type: "bind", source: path, options: ["rbind", "rw"])
        return path
    }

    /// Polls until `path` exists.
    @discardableResult
    func waitForFile(_ path: String, timeout: Double = 20) async throws -> Bool {
        await Harness.poll(timeout: timeout) { FileManager.default.fileExists(atPath: path) }
    }

    func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        try text.writeFile(path, mode: mode)
    }

    // MARK: running things

    /// `HUSK_BINARY --root <state> args…`, to completion (killed after `timeout` seconds).
    @discardableResult
    func husk(_ args: [String], stdin: String = "/dev/null", timeout: Double = 20) async throws -> CommandResult {
        try await startHusk(args, stdin: stdin).wait(timeout: timeout)
    }

    /// The runtime started in the background (e.g. a foreground `run` the test signals meanwhile).
    func startHusk(_ args: [String], stdin: String = "/dev/null") throws -> Child {
        let child = try Child([Harness.binary, "--root", stateRoot] + args, stdin: stdin, outputDir: ioDir)
        lock.withLock { background.append(child) }
        return child
    }

    /// The runtime without `--root` (global flags such as --version).
    func huskBare(_ args: [String], timeout: Double = 20) async throws -> CommandResult {
        try await Child([Harness.binary] + args, outputDir: ioDir).wait(timeout: timeout)
    }

    /// A host command to completion.
    @discardableResult
    func host(_ argv: [String], timeout: Double = 20) async throws -> CommandResult {
        try await Child(argv, outputDir: ioDir).wait(timeout: timeout)
    }

    /// A long-running host helper, killed (with its process group) at cleanup.
    func startHelper(_ argv: [String]) throws -> Child {
        let child = try Child(argv, outputDir: ioDir)
        lock.withLock { helpers.append(child) }
        return child
    }

    /// `run` in the foreground: the container's stdout/stderr are the runtime's.
    func run(_ bundle: TestBundle, id: String? = nil, extra: [String] = [],
             timeout: Double = 20) async throws -> CommandResult {
        let id = id ?? newID("run")
        return try await husk(["run", "--bundle", bundle.path] + extra + [id], timeout: timeout)
    }

    /// The parsed output of `state ID`, or nil when it fails.
    func state(_ id: String) async throws -> [String: Any]? {
        let r = try await husk(["state", id])
        guard r.status == 0, let data = r.stdout.data(using: .utf8) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    func status(_ id: String) async throws -> String? {
        try await state(id)?["status"] as? String
    }

    /// Polls `state` until the status is `want`; returns the last status seen.
    @discardableResult
    func waitForStatus(_ id: String, _ want: String, timeout: Double = 20) async throws -> String? {
        var last: String?
        _ = try await Harness.poll(timeout: timeout, every: 50) {
            last = try await self.status(id)
            return last == want
        }
        return last
    }

    // MARK: what is left behind

    /// Everything a container of this sandbox could leave behind: directories in the state dir,
    /// processes whose root is a bundle's rootfs, host mounts under the sandbox dir, cgroups
    /// named after one of the IDs.
    func leftovers() -> [String] {
        var found: [String] = []
        let fm = FileManager.default
        // Any directory under --root is a container's state (a runtime may keep plain files there,
        // such as a lock).
        for e in (try? fm.contentsOfDirectory(atPath: stateRoot)) ?? [] {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: stateRoot + "/" + e, isDirectory: &isDir), isDir.boolValue {
                found.append("state entry \(stateRoot)/\(e)")
            }
        }
        let roots: [(dev_t, ino_t, String)] = lock.withLock { bundles }.compactMap { b in
            var st = stat()
            return stat(b.rootfs, &st) == 0 ? (st.st_dev, st.st_ino, b.rootfs) : nil
        }
        for pid in strayPids(roots: roots.map { ($0.0, $0.1) }) {
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "?"
            let cmd = ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "")
                .replacingOccurrences(of: "\u{0}", with: " ")
            found.append("process \(pid) (\(comm.trimmingCharacters(in: .whitespacesAndNewlines))): \(cmd)")
        }
        for line in Sandbox.hostMountinfo() where line.contains(dir) {
            found.append("mount: \(line)")
        }
        for cg in cgroupDirs() where fm.fileExists(atPath: cg) {
            found.append("cgroup \(cg)")
        }
        return found
    }

    /// Live (non-zombie) processes that belong to this sandbox: rooted in one of its rootfs, or
    /// with the sandbox dir in their command line or cwd (a runtime or a half-made init that never
    /// reached pivot_root). The test's own helpers do not count.
    private func strayPids(roots: [(dev_t, ino_t)]) -> [Int32] {
        let helperPids = Set(lock.withLock { helpers }.map(\.pid))
        let me = getpid()
        return Sandbox.allPids().filter { pid in
            guard pid != me, !helperPids.contains(pid), !Sandbox.isZombie(pid) else { return false }
            var st = stat()
            if stat("/proc/\(pid)/root", &st) == 0,
               roots.contains(where: { $0.0 == st.st_dev && $0.1 == st.st_ino }) {
                return true
            }
            if let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
               cmd.contains(dir + "/") {
                return true
            }
            if let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
               cwd == dir || cwd.hasPrefix(dir + "/") {
                return true
            }
            return false
        }
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    private func cgroupDirs() -> [String] {
        let ids = lock.withLock { self.ids }
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return [] }
        var dirs: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            var controller = String(parts[1])
            if controller.isEmpty { controller = "unified" }
            if controller.hasPrefix("name=") { controller = String(controller.dropFirst(5)) }
            let path = String(parts[2])
            let base = "/sys/fs/cgroup/\(controller)" + (path == "/" ? "" : path)
            for id in ids { dirs.append(base + "/" + id) }
            if path != "/" {
                for id in ids { dirs.append("/sys/fs/cgroup/\(controller)/\(id)") }
            }
        }
        return dirs
    }

    /// Polls until `pid` has exited (a zombie counts as exited: reaping is its parent's business).
    static func waitGone(_ pid: Int, timeout: Double = 10) async -> Bool {
        // Gone, or a zombie ("pid (comm) Z …").
        await Harness.poll(timeout: timeout) {
            !FileManager.default.fileExists(atPath: "/proc/\(pid)") || isZombie(Int32(pid))
        }
    }

    static func allPids() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    }

    static func hostMountinfo() -> [String] {
        ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    // MARK: cleanup

    /// Force-deletes every container, kills helpers, reports leftovers, removes the temp dir.
    func cleanup() {
        let ids = lock.withLock { self.ids }
        for id in ids {
            if let child = try? Child([Harness.binary, "--root", stateRoot, "delete", "--force", id],
                                      outputDir: ioDir) {
                _ = child.waitSync(timeout: 15)
            }
        }
        for helper in lock.withLock({ helpers }) {
            helper.kill()
            _ = helper.waitSync(timeout: 5)
        }
        // Runtimes the test started in the background (a foreground `run`) end with their
        // container; one still running after 10 s is killed and reported by its exit.
        for child in lock.withLock({ background }) where child.poll() == nil {
            let r = child.waitSync(timeout: 10)
            if r.timedOut { Issue.record(Comment(rawValue: "runtime still running at cleanup: \(r)")) }
        }
        let left = leftovers()
        if !left.isEmpty {
            Issue.record(Comment(rawValue: "left behind after delete --force:\n" + left.joined(separator: "\n")))
            forceClean()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Backstop so a broken runtime cannot poison later runs: kill processes rooted in our
    /// bundles, detach mounts under our dir, remove our cgroups.
    private func forceClean() {
        let roots: [(dev_t, ino_t)] = lock.withLock { bundles }.compactMap { b in
            var st = stat()
            return stat(b.rootfs, &st) == 0 ? (st.st_dev, st.st_ino) : nil
        }
        for pid in strayPids(roots: roots) { kill(pid, SIGKILL) }
        usleep(100_000)
        // Deepest first.
        let points = Sandbox.hostMountinfo().compactMap { line -> String? in
            let f = line.split(separator: " ")
            return f.count > 4 && f[4].hasPrefix(dir) ? String(f[4]) : nil
        }.sorted { $0.count > $1.count }
        for p in points { umount2(p, Int32(MNT_DETACH)) }
        for cg in cgroupDirs().reversed() { rmdir(cg) }
    }
}
