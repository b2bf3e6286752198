import CHusk
import Glibc
import Sys

/// Cleaning up after a sandbox whose husk is gone: by its watcher (cloned by `husk sandbox`,
/// it outlives a SIGKILL of that husk, wakes on a pidfd and execs `husk sandbox-cleanup DIR`)
/// and by `husk sandbox --gc` (after a crash of the host or of both processes).
///
/// Order: the container (its whole cgroup SIGKILLed, state dir and cgroups removed), then
/// the mounts under the sandbox dir, then the dir. The dir is removed only once nothing is
/// mounted below it, so a failed unmount can never empty the rootfs through the overlay.
extension Runtime {
    /// Removes the sandbox in `dir`: its container, cgroups, mounts and the dir. Returns what
    /// could not be removed (empty when all went).
    @discardableResult
    public func cleanupSandbox(dir: String) -> [String] {
        var problems: [String] = []
        let owner = SandboxOwner.load(dir: dir)
        let id = owner?.id ?? String(dir.split(separator: "/").last ?? "")
        let runtime = owner.map { Runtime(root: $0.stateRoot, log: log) } ?? self
        if (try? ContainerID.validate(id)) != nil {
            problems += runtime.removeSandboxContainer(id, bundle: dir, creatorCgroup: owner?.creatorCgroup)
        }
        problems += unmountAll(under: dir)
        if problems.isEmpty {
            do { try Files.removeTree(dir) } catch { problems.append("remove \(dir): \(error)") }
        }
        return problems
    }

    /// The sandbox's container, if this state root has it (and it is this sandbox's: its bundle is `bundle`).
    private func removeSandboxContainer(_ id: String, bundle: String, creatorCgroup: String?) -> [String] {
        let stateDir = store.directory(of: id)
        if let record = try? store.load(id) {
            guard record.bundle == bundle else { return [] }
            do { try delete(id, force: true) } catch { return ["container \(id): \(error.message)"] }
            return []
        }
        // A crash inside create: a cgroup and a state dir without state.json, at most.
        guard let creatorCgroup else { return [] }
        var problems: [String] = []
        do throws(HuskError) {
            let manager = try cgroups(id: id, cgroupsPath: nil, procCgroup: creatorCgroup)
            do { try manager.destroy(killFirst: true) } catch { problems.append("cgroup of \(id): \(error)") }
        } catch {
            problems.append("cgroup of \(id): \(error.message)")
        }
        if Files.isDirectory(stateDir) && !Files.exists(stateDir + "/state.json") {
            do { try store.remove(id) } catch { problems.append(error.message) }
        }
        return problems
    }

    /// Detaches every mount at or below `dir`, deepest first; returns the ones that stay.
    func unmountAll(under dir: String) -> [String] {
        func mounted() -> [String] {
            let text = (try? Files.readString("/proc/self/mountinfo")) ?? ""
            return text.split(separator: "\n").compactMap { line -> String? in
                let f = line.split(separator: " ", omittingEmptySubsequences: false)
                guard f.count > 4 else { return nil }
                let point = unescapeMountinfoField(f[4])
                return point == dir || point.hasPrefix(dir + "/") ? point : nil
            }
        }
        for point in mounted().sorted(by: { $0.count > $1.count }) {
            while umount2(point, Int32(MNT_DETACH)) == 0 {}
        }
        return mounted().map { "still mounted: \($0)" }
    }

    // MARK: the watcher

    /// The body of `husk sandbox-cleanup DIR`, which the watcher (see husk_watch.h) execs once
    /// the husk that ran the sandbox in `dir` has died with the dir still there.
    public func cleanupAfterHusk(dir: String) -> Int32 {
        _ = chdir("/")
        log.debug("sandbox watcher: the husk of \(dir) is gone, cleaning up")
        let problems = cleanupSandbox(dir: dir)
        for p in problems { log.warning("sandbox watcher: \(p)") }
        return problems.isEmpty ? 0 : 1
    }

    // MARK: gc

    /// `husk sandbox --gc`: cleans every sandbox dir under `bases` whose husk and watcher are
    /// both gone (or whose owner record is from another boot), and sandbox containers in this
    /// state root whose dir is gone. Live sandboxes are never touched. Returns (cleaned, problems).
    public func gcSandboxes(bases: [String]) -> (cleaned: [String], problems: [String]) {
        var cleaned: [String] = [], problems: [String] = []
        let now = time(nil)
        for base in bases {
            for name in Files.listDirectory(base) {
                let dir = base + "/" + name
                guard Files.isDirectory(dir) else { continue }
                if let owner = SandboxOwner.load(dir: dir) {
                    if owner.isLive { continue }
                } else {
                    // No owner record (yet): a husk that is just starting, or one that died
                    // before writing it. Only old dirs count as garbage.
                    var st = stat()
                    guard stat(dir, &st) == 0, now - st.st_mtim.tv_sec > 60 else { continue }
                }
                let left = cleanupSandbox(dir: dir)
                if left.isEmpty { cleaned.append(dir) } else { problems += left }
            }
        }
        // Containers of sandboxes whose dir is already gone (a crash during cleanup).
        for id in store.ids() {
            guard let record = try? store.load(id), record.annotations.contains(where: { $0.0 == "org.husk.sandbox" }),
                  !Files.isDirectory(record.bundle) else { continue }
            do {
                try delete(id, force: true)
                cleaned.append("container \(id)")
            } catch {
                problems.append("container \(id): \(error.message)")
            }
        }
        return (cleaned, problems)
    }
}
