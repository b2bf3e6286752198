// A busybox OCI bundle in a fresh directory, with a config.json generated in code.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An OCI config as a JSON dictionary, with accessors for the parts tests tweak most.
/// Modelled on `runc spec`, minus the terminal, with no `linux.resources` and no `cgroupsPath`.
struct Config {
    var json: [String: Any]

    var process: [String: Any] {
        get { json["process"] as? [String: Any] ?? [:] }
        set { json["process"] = newValue }
    }
    var linux: [String: Any] {
        get { json["linux"] as? [String: Any] ?? [:] }
        set { json["linux"] = newValue }
    }
    var root: [String: Any] {
        get { json["root"] as? [String: Any] ?? [:] }
        set { json["root"] = newValue }
    }
    var mounts: [[String: Any]] {
        get { json["mounts"] as? [[String: Any]] ?? [] }
        set { json["mounts"] = newValue }
    }
    var hooks: [String: Any] {
        get { json["hooks"] as? [String: Any] ?? [:] }
        set { json["hooks"] = newValue }
    }
    var args: [String] {
        get { process["args"] as? [String] ?? [] }
        set { process["args"] = newValue }
    }
    var user: [String: Any] {
        get { process["user"] as? [String: Any] ?? [:] }
        set { process["user"] = newValue }
    }
    var namespaces: [[String: Any]] {
        get { linux["namespaces"] as? [[String: Any]] ?? [] }
        set { linux["namespaces"] = newValue }
    }

    /// `sh -c script` as the container's process.
    mutating func shell(_ script: String) { args = ["sh", "-c", script] }

    /// Adds (or replaces) a namespace entry, optionally joining `path`.
    mutating func setNamespace(_ type: String, path: String? = nil) {
        var entry: [String: Any] = ["type": type]
        if let path { entry["path"] = path }
        namespaces = namespaces.filter { $0["type"] as? String != type } + [entry]
    }

    mutating func removeNamespace(_ type: String) {
        namespaces = namespaces.filter { $0["type"] as? String != type }
    }

    mutating func addMount(destination: String, type: String, source: String, options: [String] = []) {
        mounts.append(["destination": destination, "type": type, "source": source, "options": options])
    }

    mutating func addHook(_ kind: String, path: String, args: [String]? = nil, env: [String]? = nil,
                          timeout: Int? = nil) {
        var hook: [String: Any] = ["path": path]
        if let args { hook["args"] = args }
        if let env { hook["env"] = env }
        if let timeout { hook["timeout"] = timeout }
        var h = hooks
        h[kind] = (h[kind] as? [[String: Any]] ?? []) + [hook]
        hooks = h
    }

    static let defaultCapabilities = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

    static func standard() -> Config {
        let caps = defaultCapabilities
        return Config(json: [
            "ociVersion": "1.0.2",
            "process": [
                "terminal": false,
                "user": ["uid": 0, "gid": 0],
                "args": ["sh"],
                "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                "cwd": "/",
                "capabilities": ["bounding": caps, "effective": caps, "permitted": caps, "ambient": caps],
                "rlimits": [["type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024]],
                "noNewPrivileges": true,
            ] as [String: Any],
            "root": ["path": "rootfs", "readonly": true],
            "hostname": "husk-it",
            "mounts": [
                ["destination": "/proc", "type": "proc", "source": "proc"],
                ["destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
                ["destination": "/dev/pts", "type": "devpts", "source": "devpts",
                 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]],
                ["destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
                ["destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
                 "options": ["nosuid", "noexec", "nodev"]],
                ["destination": "/sys", "type": "sysfs", "source": "sysfs",
                 "options": ["nosuid", "noexec", "nodev", "ro"]],
            ] as [[String: Any]],
            "linux": [
                "namespaces": [["type": "pid"], ["type": "network"], ["type": "ipc"], ["type": "uts"],
                               ["type": "mount"]],
                "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
                "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
            ] as [String: Any],
        ])
    }
}

/// A bundle directory: `rootfs/` with busybox, and `config.json`.
struct TestBundle {
    let path: String
    var rootfs: String { path + "/rootfs" }
    var configPath: String { path + "/config.json" }

    /// Builds the rootfs and writes the standard config after `mutate`.
    init(at path: String, mutate: (inout Config) throws -> Void = { _ in }) throws {
        self.path = path
        try TestBundle.makeRootfs(at: path + "/rootfs")
        var config = Config.standard()
        try mutate(&config)
        try write(config)
    }

    func write(_ config: Config) throws {
        let data = try JSONSerialization.data(withJSONObject: config.json, options: [.prettyPrinted, .sortedKeys])
        try writeFileCloexec(configPath, [UInt8](data))
    }

    /// Replaces config.json with raw text (for malformed-input tests).
    func writeRaw(_ text: String) throws {
        try text.writeFile(configPath)
    }

    func readConfigText() throws -> String { try String(contentsOfFile: configPath, encoding: .utf8) }

    private static let applets: [String] = {
        // `busybox --list`, read once per test run.
        let out = (try? captureSync([Harness.busybox, "--list"])) ?? ""
        return out.split(separator: "\n").map(String.init).filter { !$0.isEmpty && $0 != "busybox" }
    }()

    static func makeRootfs(at rootfs: String) throws {
        let fm = FileManager.default
        for dir in ["bin", "proc", "sys", "dev", "tmp", "etc", "root"] {
            try fm.createDirectory(atPath: rootfs + "/" + dir, withIntermediateDirectories: true)
        }
        chmod(rootfs + "/tmp", 0o1777)
        try copyFile(Harness.busybox, to: rootfs + "/bin/busybox", mode: 0o755)
        for applet in applets {
            _ = symlink("busybox", rootfs + "/bin/" + applet)
        }
        try """
        root:x:0:0:root:/root:/bin/sh
        tester:x:1000:1000:tester:/tmp:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false

        """.writeFile(rootfs + "/etc/passwd")
        try """
        root:x:0:
        tester:x:1000:
        nogroup:x:65534:

        """.writeFile(rootfs + "/etc/group")
    }
}

/// Writes `data` through an O_CLOEXEC fd. Foundation's writers may not set O_CLOEXEC, and a
/// runtime spawned meanwhile by a parallel test would inherit the write fd: executing the file
/// then fails with ETXTBSY ("text file busy") for as long as that runtime or container lives.
func writeFileCloexec(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw CommandError.spawn("open \(path)", errno) }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw CommandError.spawn("write \(path)", errno)
        }
        offset += n
    }
    fchmod(fd, mode)
}

func copyFile(_ from: String, to: String, mode: mode_t) throws {
    let fd = open(from, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw CommandError.spawn("open \(from)", errno) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        bytes += buf[0..<n]
    }
    try writeFileCloexec(to, bytes, mode: mode)
}

/// Runs a short host command to completion and returns its stdout (setup only).
func captureSync(_ argv: [String], timeout: Double = 20) throws -> String {
    let dir = NSTemporaryDirectory()
    let child = try Child(argv, outputDir: dir)
    let result = child.waitSync(timeout: timeout)
    unlink(child.stdoutPath)
    unlink(child.stderrPath)
    return result.stdout
}

extension String {
    func writeFile(_ path: String, mode: mode_t = 0o644) throws {
        try writeFileCloexec(path, Array(utf8), mode: mode)
    }
}
