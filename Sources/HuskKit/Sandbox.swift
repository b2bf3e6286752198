import Glibc

/// One command in a throw-away container, for Swift programs that embed husk (a CI runner, a
/// build service): the same operation as `husk sandbox`, with the same guarantees.
///
/// ```swift
/// import HuskKit
///
/// var job = Sandbox(rootfs: "/var/lib/ci/debian", command: ["make", "test"])
/// job.mounts = [.workspace(host: "/src/project", container: "/src")]
/// job.workdir = "/src"
/// job.memoryBytes = 2 << 30
/// job.timeout = .seconds(600)
/// let report = try await job.run()
/// print(report.exitCode, report.timedOut, report.oomKilled, report.memoryPeakBytes ?? 0)
/// ```
///
/// `run()` starts the husk binary (`huskPath`) as `husk sandbox …` and reads its JSON report
/// back. The container is not run inside the calling process on purpose: husk changes
/// process-wide state while it runs one (signal handlers, the child it reaps, mounts made from
/// its mount namespace), and its watcher — the process that removes everything if the runner
/// is SIGKILLed — is a fresh exec of husk anyway. Many `run()`s may be in flight at once; each
/// waits for its husk on a thread of its own, never on the cooperative pool.
///
/// Cancelling the task sends SIGTERM to husk: the sandbox's processes get SIGTERM, then
/// SIGKILL after `grace`, and everything is removed before `run()` returns.
public struct Sandbox: Sendable {
    /// The root filesystem: a directory (its overlay is thrown away) or an image in husk's store.
    public enum Root: Sendable, Equatable {
        case rootfs(String)
        case image(String)
    }

    /// A mount added to the container.
    public enum Mount: Sendable, Equatable {
        /// A host directory, read-write unless `readOnly`.
        case workspace(host: String, container: String, readOnly: Bool = false)
        /// A tmpfs, e.g. `options: ["size=64m"]`.
        case tmpfs(container: String, options: [String] = [])
        /// A persistent directory kept across runs under `cacheDir` (e.g. a package cache).
        case cache(name: String, container: String)
    }

    /// Where the container's stdin comes from.
    public enum Input: Sendable, Equatable {
        case null
        case inherit
        case file(String)
    }

    /// Where its stdout or stderr goes.
    public enum Output: Sendable, Equatable {
        case inherit
        case discard
        /// Created or truncated.
        case file(String)
        /// An fd of this process (stays open; husk gets a copy).
        case fileDescriptor(Int32)
    }

    public var root: Root
    public var command: [String]
    public var mounts: [Mount] = []
    /// Changes to the root are discarded; with a path they are also written there as an OCI layer tarball.
    public var exportChanges: String?
    public var readOnly = false
    public var memoryBytes: Int64?
    public var cpus: Double?
    public var pids: Int?
    /// Block IO weight, 10 to 1000.
    public var ioWeight: Int?
    /// Then SIGTERM to every process, SIGKILL of the cgroup after `grace`; the report says timedOut.
    public var timeout: Duration?
    /// Default 10 s.
    public var grace: Duration?
    /// A network namespace with only loopback (default), or the host's.
    public var hostNetwork = false
    /// `K=V` entries (after PATH, HOME, TERM and an image's Env; later ones win).
    public var environment: [String] = []
    public var user: (uid: UInt32, gid: UInt32)?
    public var workdir: String?
    /// The container ID (default: a random `sandbox-…`).
    public var name: String?
    /// Where the throw-away dir goes (default /var/lib/husk/sandboxes).
    public var tmpDir: String?
    /// Where `.cache` mounts live (default /var/lib/husk/caches).
    public var cacheDir: String?
    public var stdin: Input = .null
    public var stdout: Output = .inherit
    public var stderr: Output = .inherit
    /// The husk binary; default: `husk` on PATH.
    public var huskPath: String = Sandbox.defaultHuskPath()
    /// husk's --root (state dir) and --storage (image store); nil: husk's defaults.
    public var stateRoot: String?
    public var storage: String?

    public init(rootfs: String, command: [String]) {
        self.root = .rootfs(rootfs)
        self.command = command
    }

    public init(image: String, command: [String]) {
        self.root = .image(image)
        self.command = command
    }

    /// `husk` from PATH, else /usr/local/bin/husk.
    public static func defaultHuskPath() -> String {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where access(dir + "/husk", X_OK) == 0 { return dir + "/husk" }
        return "/usr/local/bin/husk"
    }

    /// The husk command line `run()` executes, without `--report` (for logs and tests).
    public var arguments: [String] {
        var a: [String] = []
        if let stateRoot { a += ["--root", stateRoot] }
        if let storage { a += ["--storage", storage] }
        a.append("sandbox")
        switch root {
        case .rootfs(let dir): a += ["--rootfs", dir]
        case .image(let ref): a += ["--image", ref]
        }
        for m in mounts {
            switch m {
            case let .workspace(host, container, readOnly): a += [readOnly ? "--workspace-ro" : "--workspace", host + ":" + container]
            case let .tmpfs(container, options): a += ["--tmpfs", options.isEmpty ? container : container + ":" + options.joined(separator: ",")]
            case let .cache(name, container): a += ["--cache", name + ":" + container]
            }
        }
        if let exportChanges { a += ["--export-changes", exportChanges] }
        if readOnly { a.append("--read-only") }
        if let memoryBytes { a += ["--memory", String(memoryBytes)] }
        if let cpus { a += ["--cpus", String(cpus)] }
        if let pids { a += ["--pids", String(pids)] }
        if let ioWeight { a += ["--io-weight", String(ioWeight)] }
        if let timeout { a += ["--timeout", Self.milliseconds(timeout)] }
        if let grace { a += ["--grace", Self.milliseconds(grace)] }
        a += ["--network", hostNetwork ? "host" : "none"]
        for e in environment { a += ["--env", e] }
        if let user { a += ["--user", "\(user.uid):\(user.gid)"] }
        if let workdir { a += ["--workdir", workdir] }
        if let name { a += ["--name", name] }
        if let tmpDir { a += ["--tmp-dir", tmpDir] }
        if let cacheDir { a += ["--cache-dir", cacheDir] }
        return a
    }

    /// Runs the command and returns what happened. The command's own failure (a non-zero exit,
    /// a signal, a timeout, an OOM kill, 126/127 for a command that cannot run) is a report;
    /// a sandbox that could not be set up (bad option, missing rootfs or image, no husk)
    /// throws `SandboxError` with husk's message and exit code (125).
    public func run() async throws(SandboxError) -> SandboxReport {
        for e in environment where !e.contains("=") {
            throw SandboxError("environment entry \"\(e)\" is not K=V", exitCode: 125)
        }
        let reportPath = try Self.makeReportFile()
        defer { unlink(reportPath) }
        let argv = [huskPath] + arguments + ["--report", reportPath, "--"] + command
        let pid = try HuskProcess.spawn(argv, stdin: stdin, stdout: stdout, stderr: stderr)
        let status = await withTaskCancellationHandler {
            await HuskProcess.waitForExit(pid)
        } onCancel: {
            kill(pid, SIGTERM)
        }
        guard let text = try? HuskProcess.readFile(reportPath), !text.isEmpty else {
            // Killed before it could write one (a cancellation in husk's first milliseconds): 128+N.
            let signal = status & 0x7f
            throw SandboxError("\(huskPath) \(HuskProcess.describe(status)) without writing a report",
                               exitCode: signal != 0 ? 128 + signal : 125)
        }
        let report = try SandboxReport(json: text)
        if let message = report.error, report.exitCode != 126 && report.exitCode != 127 {
            throw SandboxError(message, exitCode: report.exitCode)
        }
        return report
    }

    static func milliseconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        return String(max(1, s * 1000 + atto / 1_000_000_000_000_000)) + "ms"
    }

    /// An empty file for husk's report (a private name in $TMPDIR or /tmp).
    static func makeReportFile() throws(SandboxError) -> String {
        let dir = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((dir + "/huskkit-report-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw SandboxError("cannot create a report file in \(dir): \(String(cString: strerror(errno)))", exitCode: 125) }
        close(fd)
        return String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A sandbox that could not be set up: husk's message ("sandbox: --rootfs /x: No such file
/// or directory") and its exit code (125 for a sandbox failure).
public struct SandboxError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}
