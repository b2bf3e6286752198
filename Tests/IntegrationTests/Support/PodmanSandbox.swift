// A private podman for one test: its own containers.conf and storage.conf (graphroot, runroot,
// tmp dir, volumes, network config, events log, all under a temp dir in /var/tmp), a runtime named
// `husk` that is HUSK_BINARY, and a busybox image imported from a tarball of the harness's rootfs.
// Nothing of the machine's podman configuration or storage is read or written.
//
// Measured on the project's hosts (Debian 12, podman 4.3.1, conmon 2.1.6, hybrid cgroups):
// - root lacks CAP_SYS_RESOURCE, so podman's default rlimits (nproc/nofile above the hard limit)
//   fail in every runtime: `default_ulimits` pins them at or below the host's hard limits;
// - `cgroup_manager = "cgroupfs"` (no systemd) and a `--cgroup-parent` below this process's own
//   cgroup, removed at cleanup in every hierarchy;
// - `netns = "none"`: no CNI, no network;
// - podman passes `--log-format=json --log FILE` only to runtimes listed in `runtime_supports_json`,
//   and maps the runtime's JSON error message to exit codes 126/127;
// - `static_dir` must stay at its default (graphroot/libpod): conmon's exit command
//   (`podman container cleanup`) gets --root/--runroot/--tmpdir but not the static dir, and with
//   two databases every `run` waits 20 s for an exit code that lands in the other one;
// - `podman import` writes containers/image's blob-info cache to /var/lib/containers/cache for root
//   whatever the configuration says, so the import runs in a private mount namespace with a tmpfs
//   over /var/lib;
// - an OOM kill: conmon 2.1.6 sees it (through the container's memory cgroup) but creates
//   its `oom` marker relative to its working directory, which is podman's (podman 4.3 does not
//   chdir conmon), while podman 4.3 looks for `<bundle>/oom`; so OOMKilled is only reported when
//   podman runs in the container's bundle dir (containers/conmon#504, fixed in conmon 2.1.13;
//   podman 5.0 reads the marker from conmon's --persist-dir instead);
// - podman does not pass --root to the runtime: husk keeps its state in /run/husk (runc in
//   /run/runc), where `podman rm` deletes it; cleanup checks that no entry of this test is left.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum Podman {
    static let binary: String? = ["/usr/bin/podman", "/usr/local/bin/podman"].first { (p: String) in access(p, X_OK) == 0 }
    static let conmon: String? = ["/usr/bin/conmon", "/usr/libexec/podman/conmon", "/usr/local/bin/conmon"]
        .first { (p: String) in access(p, X_OK) == 0 }

    static let available: Bool = Harness.canRun && binary != nil && conmon != nil
        && access("/usr/bin/unshare", X_OK) == 0 && access("/bin/tar", X_OK) == 0

    static let requirement: Comment = {
        var missing: [String] = []
        if !Harness.canRun { missing.append(Harness.requirement.rawValue) }
        if binary == nil { missing.append("podman (apt-get install podman)") }
        if conmon == nil { missing.append("conmon (apt-get install conmon)") }
        return Comment(rawValue: missing.isEmpty ? "needs root, podman, conmon, HUSK_BINARY"
                                                 : "needs " + missing.joined(separator: ", "))
    }()

    /// Verbs the runtime under test lists in its help (podman's pause/unpause need `pause`/`resume`).
    static func runtimeHasVerb(_ verb: String) -> Bool {
        let help = (try? captureSync([Harness.binary, "--help"])) ?? ""
        return help.split(separator: "\n").contains { line in
            line.split(separator: " ", omittingEmptySubsequences: true).first.map(String.init) == verb
        }
    }

    /// Where the runtime keeps state when podman gives no --root.
    static var runtimeStateDir: String {
        (Harness.binary as NSString).lastPathComponent == "runc" ? "/run/runc" : "/run/husk"
    }
}

final class PodmanSandbox: @unchecked Sendable {
    static let image = "localhost/husk-busybox:test"
    let dir: String
    let ioDir: String
    let cgroupParent: String
    let environment: [String: String]
    private let lock = NSLock()
    private var containerIDs: Set<String> = []

    init() throws {
        var template = Array("/var/tmp/husk-podman-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CommandError.spawn("mkdtemp", errno) }
        dir = String(cString: made)
        chmod(dir, 0o755)
        ioDir = dir + "/io"
        let fm = FileManager.default
        try fm.createDirectory(atPath: ioDir, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/net", withIntermediateDirectories: true)

        // Below our own memory cgroup (the one that limits this process); the same relative path
        // is created in every other hierarchy by podman.
        let own = PodmanSandbox.ownCgroup(controller: "memory") ?? "/"
        cgroupParent = (own == "/" ? "" : own) + "/husk-podman-\(getpid())-"
            + String(UInt32.random(in: 0...UInt32.max), radix: 16)

        let hardNofile = PodmanSandbox.hardLimit(7, cap: 20000)   // RLIMIT_NOFILE
        let hardNproc = PodmanSandbox.hardLimit(6, cap: 32768)    // RLIMIT_NPROC
        try """
        [containers]
        default_ulimits = ["nofile=\(hardNofile):\(hardNofile)", "nproc=\(hardNproc):\(hardNproc)"]
        netns = "none"
        log_driver = "k8s-file"

        [engine]
        cgroup_manager = "cgroupfs"
        events_logger = "file"
        events_logfile_path = "\(dir)/events.log"
        lock_type = "file"
        num_locks = 128
        tmp_dir = "\(dir)/tmp"
        volume_path = "\(dir)/volumes"
        conmon_path = ["\(Podman.conmon!)"]
        runtime = "husk"
        runtime_supports_json = ["husk", "runc", "crun"]

        [engine.runtimes]
        husk = ["\(Harness.binary)"]

        [network]
        network_config_dir = "\(dir)/net"

        """.writeFile(dir + "/containers.conf")
        try """
        [storage]
        driver = "vfs"
        graphroot = "\(dir)/graph"
        runroot = "\(dir)/run"

        """.writeFile(dir + "/storage.conf")

        var env = ProcessInfo.processInfo.environment
        env["CONTAINERS_CONF"] = dir + "/containers.conf"
        env["CONTAINERS_STORAGE_CONF"] = dir + "/storage.conf"
        env["CONTAINERS_REGISTRIES_CONF"] = dir + "/registries.conf"
        try "unqualified-search-registries = []\n".writeFile(dir + "/registries.conf")
        environment = env

        try TestBundle.makeRootfs(at: dir + "/rootfs")
    }

    /// Imports the busybox rootfs as `image` (PATH set as a real image would), in a private mount
    /// namespace with /var/lib on a tmpfs (see the file comment).
    func importImage() async throws {
        let tar = try await host(["/bin/tar", "-C", dir + "/rootfs", "-cf", dir + "/rootfs.tar", "."])
        guard tar.succeeded else { throw PodmanError("tar: \(tar)") }
        let script = "mount -t tmpfs tmpfs /var/lib && exec \"$@\""
        let r = try await host(["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh",
                                Podman.binary!, "import",
                                "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                dir + "/rootfs.tar", PodmanSandbox.image], timeout: 60)
        guard r.succeeded else { throw PodmanError("podman import: \(r)") }
    }

    // MARK: running podman

    /// `podman args…` to completion, run in `cwd` (default: the sandbox's io dir). conmon inherits
    /// podman's working directory, and conmon 2.1.6 drops its `oom` marker there.
    @discardableResult
    func podman(_ args: [String], cwd: String? = nil, timeout: Double = 30) async throws -> CommandResult {
        let r = try await Child([Podman.binary!] + args, outputDir: ioDir, environment: environment, cwd: cwd ?? ioDir)
            .wait(timeout: timeout)
        noteContainers(in: r)
        return r
    }

    /// `podman run --pull never --cgroup-parent P [options] IMAGE command…`.
    @discardableResult
    func run(_ options: [String], _ command: [String], timeout: Double = 30) async throws -> CommandResult {
        try await podman(["run", "--pull", "never", "--cgroup-parent", cgroupParent] + options
                         + [PodmanSandbox.image] + command, timeout: timeout)
    }

    /// `run -d`: the container's full ID.
    func runDetached(_ options: [String] = [], _ command: [String]) async throws -> String {
        let r = try await run(["-d"] + options, command)
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard r.succeeded, id.count == 64 else { throw PodmanError("run -d: \(r)") }
        return id
    }

    func inspect(_ id: String, _ format: String) async throws -> String {
        let r = try await podman(["inspect", "--format", format, id])
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A host command with this sandbox's podman environment (e.g. a pty driver running podman).
    @discardableResult
    func host(_ argv: [String], timeout: Double = 30) async throws -> CommandResult {
        let r = try await Child(argv, outputDir: ioDir, environment: environment, cwd: ioDir).wait(timeout: timeout)
        noteContainers(in: r)
        return r
    }

    /// Remembers 64-hex words podman printed: container IDs whose runtime state cleanup checks.
    private func noteContainers(in r: CommandResult) {
        let words = (r.stdout + " " + r.stderr).split(whereSeparator: { !$0.isHexDigit })
        let ids = words.filter { $0.count == 64 }.map(String.init)
        if !ids.isEmpty { lock.withLock { containerIDs.formUnion(ids) } }
    }

    // MARK: cleanup

    /// Removes every container and image, then the storage, cgroups and temp dir; records an
    /// issue for anything podman left behind. Safe to call from `defer` after a failed test.
    func cleanup() {
        var problems: [String] = []
        for args in [["ps", "-aq", "--no-trunc"]] {
            let r = syncPodman(args)
            lock.withLock { containerIDs.formUnion(r.stdout.split(separator: "\n").map(String.init)) }
        }
        let rm = syncPodman(["rm", "-af", "-t", "0"], timeout: 60)
        if !rm.succeeded { problems.append("podman rm -af: \(rm)") }
        let rmi = syncPodman(["rmi", "-af"], timeout: 60)
        if !rmi.succeeded { problems.append("podman rmi -af: \(rmi)") }

        // Runtime state of our containers (podman's `rm` runs the runtime's `delete`).
        let ids = lock.withLock { containerIDs }
        for id in ids where FileManager.default.fileExists(atPath: Podman.runtimeStateDir + "/" + id) {
            problems.append("runtime state left: \(Podman.runtimeStateDir)/\(id)")
            if let c = try? Child([Harness.binary, "delete", "--force", id], outputDir: ioDir) { _ = c.waitSync() }
        }
        // Processes still running from our storage: conmon and its exit command (`podman
        // container cleanup`) finish asynchronously after `rm`, so give them time; then kill.
        problems += EngineCleanup.reapStray(within: 20) { EngineCleanup.processes(using: dir) }
        // Mounts under our dir (podman's per-container /dev/shm), deepest first.
        problems += EngineCleanup.unmountAll(under: dir)
        // The cgroup parent (and podman's `conmon` cgroup under it) in every hierarchy.
        if let left = EngineCleanup.removeCgroupTree(cgroupParent) { problems.append("cgroup not removable: \(left)") }
        try? FileManager.default.removeItem(atPath: dir)
        if !problems.isEmpty {
            Issue.record(Comment(rawValue: "podman sandbox cleanup:\n" + problems.joined(separator: "\n")))
        }
    }


    private func syncPodman(_ args: [String], timeout: Double = 30) -> CommandResult {
        guard let c = try? Child([Podman.binary!] + args, outputDir: ioDir, environment: environment, cwd: ioDir) else {
            return CommandResult(argv: args, status: -1, stdout: "", stderr: "spawn failed", timedOut: false, elapsed: 0)
        }
        return c.waitSync(timeout: timeout)
    }


    // MARK: host facts

    static func ownCgroup(controller: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3, parts[1].split(separator: ",").contains(Substring(controller)) {
                return String(parts[2])
            }
        }
        return nil
    }

    static func hardLimit(_ resource: Int32, cap: UInt64) -> UInt64 {
        var rl = rlimit()
        guard getrlimit(__rlimit_resource_t(resource), &rl) == 0 else { return cap }
        return min(UInt64(rl.rlim_max), cap)
    }
}

struct PodmanError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
