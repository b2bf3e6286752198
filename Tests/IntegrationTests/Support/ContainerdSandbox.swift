// A private containerd for the ContainerdTests suite: its own config (root, state, gRPC and
// ttrpc sockets under a temp dir in /var/tmp, the CRI and /opt plugins disabled), started as a
// child process once for the suite (a `TestScoping` trait) and shut down after it, also when a
// test failed. Containers run through the `io.containerd.runc.v2` shim with HUSK_BINARY as its
// runc binary (`ctr run --runc-binary`), the runtime's state in the temp dir (`--runc-root`),
// IO fifos in the temp dir (`--fifo-dir`) and cgroups below this process's own cgroup.
// The image is a docker-archive the suite writes: one layer with the harness's busybox rootfs.
//
// Measured on the project's hosts (Debian 12, containerd 1.6.20, hybrid cgroups):
// - the shim's ttrpc socket is always /run/containerd/s/<sha256 of address+namespace+id>
//   (containerd 1.6 hard-codes the dir); the shim removes it when its container is deleted, and
//   cleanup removes /run/containerd/s and /run/containerd if they are empty and were not there;
// - ctr's default spec has no cgroup namespace and no /sys/fs/cgroup mount, so limits are
//   checked from the host (the limit files) and from inside (an allocation beyond the limit is
//   OOM-killed);
// - ctr's default spec lists namespaces as pid, ipc, uts, mount, network.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum Containerd {
    static let binary: String? = ["/usr/bin/containerd", "/usr/local/bin/containerd"].first { (p: String) in access(p, X_OK) == 0 }
    static let ctr: String? = ["/usr/bin/ctr", "/usr/local/bin/ctr"].first { (p: String) in access(p, X_OK) == 0 }
    static let shim: String? = ["/usr/bin/containerd-shim-runc-v2", "/usr/local/bin/containerd-shim-runc-v2"]
        .first { (p: String) in access(p, X_OK) == 0 }

    static let available: Bool = Harness.canRun && binary != nil && ctr != nil && shim != nil
        && access("/bin/tar", X_OK) == 0 && access("/usr/bin/sha256sum", X_OK) == 0

    static let requirement: Comment = {
        var missing: [String] = []
        if !Harness.canRun { missing.append(Harness.requirement.rawValue) }
        if binary == nil || ctr == nil || shim == nil {
            missing.append("containerd, ctr and containerd-shim-runc-v2 (apt-get install containerd)")
        }
        return Comment(rawValue: missing.isEmpty ? "needs root, containerd, HUSK_BINARY"
                                                 : "needs " + missing.joined(separator: ", "))
    }()

    /// The suite's containerd, set by `ContainerdTrait` for the tests of the suite.
    @TaskLocal static var current: ContainerdSandbox?
}

/// Starts one private containerd around the whole suite and removes everything after it.
struct ContainerdTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let sb = try ContainerdSandbox()
        defer { sb.shutdown() }
        try await sb.start()
        try await Containerd.$current.withValue(sb) { try await function() }
    }
}

extension Trait where Self == ContainerdTrait {
    static var privateContainerd: ContainerdTrait { ContainerdTrait() }
}

final class ContainerdSandbox: @unchecked Sendable {
    static let image = "docker.io/library/husk-busybox:test"
    let dir: String
    let ioDir: String
    let socket: String
    let namespace: String
    let cgroupParent: String
    private var daemon: Child?
    private let createdRunDirs: [String]

    init() throws {
        var template = Array("/var/tmp/husk-containerd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CommandError.spawn("mkdtemp", errno) }
        dir = String(cString: made)
        chmod(dir, 0o755)
        ioDir = dir + "/io"
        socket = dir + "/containerd.sock"
        namespace = "husk-test"
        let fm = FileManager.default
        for d in [ioDir, dir + "/fifo", dir + "/runtime"] { try fm.createDirectory(atPath: d, withIntermediateDirectories: true) }
        createdRunDirs = ["/run/containerd", "/run/containerd/s"].filter { !fm.fileExists(atPath: $0) }

        let own = PodmanSandbox.ownCgroup(controller: "memory") ?? "/"
        cgroupParent = (own == "/" ? "" : own) + "/husk-containerd-\(getpid())-"
            + String(UInt32.random(in: 0...UInt32.max), radix: 16)

        try """
        version = 2
        root = "\(dir)/root"
        state = "\(dir)/state"
        disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
                            "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                            "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                            "io.containerd.tracing.processor.v1.otlp"]

        [grpc]
          address = "\(socket)"

        [ttrpc]
          address = "\(socket).ttrpc"

        [debug]
          level = "debug"

        """.writeFile(dir + "/config.toml")
    }

    /// Starts containerd, waits for its socket, imports the busybox image.
    func start() async throws {
        daemon = try Child([Containerd.binary!, "--config", dir + "/config.toml"], outputDir: ioDir, cwd: ioDir)
        let up = await Harness.poll(timeout: 20) { [self] in
            guard daemon?.poll() == nil else { return true }
            return access(socket, F_OK) == 0 && ((try? syncCtr(["version"], timeout: 5).succeeded) ?? false)
        }
        guard up, daemon?.poll() == nil else { throw ContainerdError("containerd did not start:\n\(daemonLog)") }
        try await importImage()
    }

    var daemonLog: String { String((daemon?.stderr ?? "").suffix(4000)) }

    /// A docker-archive with one layer (the busybox rootfs), imported and unpacked (native snapshots).
    private func importImage() async throws {
        let img = dir + "/image"
        try FileManager.default.createDirectory(atPath: img, withIntermediateDirectories: true)
        try TestBundle.makeRootfs(at: dir + "/rootfs")
        let tar = try await host(["/bin/tar", "--numeric-owner", "-C", dir + "/rootfs", "-cf", img + "/layer.tar", "."])
        guard tar.succeeded else { throw ContainerdError("tar: \(tar)") }
        let layer = try await sha256(img + "/layer.tar")
        try """
        {"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],\
        "Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:\(layer)"]}}
        """.writeFile(img + "/config.json")
        let config = try await sha256(img + "/config.json")
        try FileManager.default.moveItem(atPath: img + "/config.json", toPath: img + "/\(config).json")
        try """
        [{"Config":"\(config).json","RepoTags":["husk-busybox:test"],"Layers":["layer.tar"]}]
        """.writeFile(img + "/manifest.json")
        let archive = try await host(["/bin/tar", "-C", img, "-cf", dir + "/image.tar", "manifest.json", "\(config).json", "layer.tar"])
        guard archive.succeeded else { throw ContainerdError("tar: \(archive)") }
        let r = try await ctr(["image", "import", "--snapshotter", "native", dir + "/image.tar"], timeout: 60)
        guard r.succeeded else { throw ContainerdError("ctr image import: \(r)\n\(daemonLog)") }
    }

    private func sha256(_ path: String) async throws -> String {
        let r = try await host(["/usr/bin/sha256sum", path])
        guard r.succeeded, let hex = r.stdout.split(separator: " ").first, hex.count == 64 else { throw ContainerdError("sha256sum: \(r)") }
        return String(hex)
    }

    // MARK: running ctr

    /// `ctr --address SOCK --namespace NS args…` to completion.
    @discardableResult
    func ctr(_ args: [String], timeout: Double = 30) async throws -> CommandResult {
        try await Child([Containerd.ctr!, "--address", socket, "--namespace", namespace] + args,
                        outputDir: ioDir, cwd: ioDir).wait(timeout: timeout)
    }

    /// The options every `ctr run` gets: native snapshots, HUSK_BINARY with its state here,
    /// fifos here, the container's cgroup below ours.
    func runOptions(_ id: String) -> [String] {
        ["--snapshotter", "native", "--runc-binary", Harness.binary, "--runc-root", dir + "/runtime",
         "--fifo-dir", dir + "/fifo", "--cgroup", cgroupPath(id)]
    }

    func cgroupPath(_ id: String) -> String { cgroupParent + "/" + id }

    /// `ctr run [options] IMAGE ID command…`.
    @discardableResult
    func run(_ options: [String], _ id: String, _ command: [String], timeout: Double = 30) async throws -> CommandResult {
        try await ctr(["run"] + runOptions(id) + options + [ContainerdSandbox.image, id] + command, timeout: timeout)
    }

    /// `ctr task exec --exec-id EXEC [options] ID command…`.
    @discardableResult
    func exec(_ id: String, _ execID: String, _ options: [String] = [], _ command: [String], timeout: Double = 30) async throws -> CommandResult {
        try await ctr(["task", "exec", "--fifo-dir", dir + "/fifo", "--exec-id", execID] + options + [id] + command, timeout: timeout)
    }

    /// The task's status column of `ctr task ls` (RUNNING, STOPPED, PAUSED), nil without a task.
    func taskStatus(_ id: String) async throws -> String? {
        let r = try await ctr(["task", "ls"])
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if f.count >= 3, f[0] == Substring(id) { return String(f[2]) }
        }
        return nil
    }

    /// The runtime's state entry for a container (runc-compatible runtimes: ROOT/NS/ID).
    func runtimeStateExists(_ id: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(dir)/runtime/\(namespace)/\(id)")
    }

    @discardableResult
    func host(_ argv: [String], timeout: Double = 30) async throws -> CommandResult {
        try await Child(argv, outputDir: ioDir, cwd: ioDir).wait(timeout: timeout)
    }

    /// Removes a container whatever state its task is in (blocking, for `defer`).
    func remove(_ id: String) {
        _ = try? syncCtr(["task", "kill", "-s", "SIGKILL", id])
        _ = try? syncCtr(["task", "delete", "--force", id])
        _ = try? syncCtr(["container", "rm", id])
    }

    private func syncCtr(_ args: [String], timeout: Double = 30) throws -> CommandResult {
        try Child([Containerd.ctr!, "--address", socket, "--namespace", namespace] + args,
                  outputDir: ioDir, cwd: ioDir).waitSync(timeout: timeout)
    }

    // MARK: cleanup

    /// Deletes every task and container, stops containerd, then checks for and removes stray
    /// shims, container processes, mounts, cgroups, runtime state and the temp dir. Records an
    /// issue for anything that had to be removed by force.
    func shutdown() {
        var problems: [String] = []
        if let daemon, daemon.poll() == nil {
            let ids = ((try? syncCtr(["container", "ls", "-q"]))?.stdout ?? "").split(separator: "\n").map(String.init)
            for id in ids {
                _ = try? syncCtr(["task", "kill", "-s", "SIGKILL", id])
                _ = try? syncCtr(["task", "delete", "--force", id])
                let rm = try? syncCtr(["container", "rm", id])
                if rm?.succeeded != true { problems.append("ctr container rm \(id): \(rm.map { "\($0)" } ?? "spawn failed")") }
            }
            _ = try? syncCtr(["image", "rm", ContainerdSandbox.image])
            Glibc.kill(daemon.pid, SIGTERM)
            let r = daemon.waitSync(timeout: 15)
            if r.timedOut { problems.append("containerd did not stop on SIGTERM") }
        } else if let daemon {
            problems.append("containerd exited early: \(daemon.waitSync(timeout: 1))")
        }
        // Shims (their command line names our socket) and container processes (root in our dir).
        problems += EngineCleanup.reapStray(within: 10) { EngineCleanup.processes(using: dir) }
        problems += EngineCleanup.unmountAll(under: dir)
        let leftState = ((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/runtime/\(namespace)")) ?? [])
        for id in leftState { problems.append("runtime state left: \(dir)/runtime/\(namespace)/\(id)") }
        if let left = EngineCleanup.removeCgroupTree(cgroupParent) { problems.append("cgroup not removable: \(left)") }
        for d in createdRunDirs.reversed() { rmdir(d) }
        if problems.isEmpty {
            try? FileManager.default.removeItem(atPath: dir)
        } else {
            // Keep containerd's log for the report, remove the rest.
            let log = daemonLog
            try? FileManager.default.removeItem(atPath: dir)
            Issue.record(Comment(rawValue: "containerd sandbox cleanup:\n" + problems.joined(separator: "\n")
                                 + "\ncontainerd log (tail):\n" + log))
        }
    }



    /// The container's cgroup dir in a v1 hierarchy (or the unified one), for limit checks.
    func cgroupFile(_ controller: String, _ id: String, _ file: String) -> String? {
        for base in ["/sys/fs/cgroup/\(controller)", "/sys/fs/cgroup"] {
            let path = base + cgroupPath(id) + "/" + file
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
}

struct ContainerdError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
