import JSON

/// The config.json that `husk spec` writes: the same document as `runc spec` (libcontainer/specconv/example.go).
public enum DefaultSpec {
    /// The default config; `rootless` applies runc's ToRootless: a user namespace mapping container root
    /// to `uid`/`gid`, no network namespace, /sys bind-mounted, no uid=/gid= mount options, no resources.
    /// `cgroupNamespace` adds a cgroup namespace, as runc does on cgroup v2 hosts.
    /// `seccomp` adds `linux.seccomp`: the default profile for these capabilities (the one
    /// place where husk's output differs from runc's, which writes no profile); `seccompX32`
    /// as DefaultSeccompProfile.make's `x32` (a config made to run on this host only).
    public static func make(
        rootless: Bool, args: [String] = ["sh"], terminal: Bool = true,
        uid: UInt32 = 0, gid: UInt32 = 0, cgroupNamespace: Bool = false, seccomp: Bool = true, seccompX32: Bool = true
    ) -> JSONValue {
        let capabilityNames = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        let capabilities = Encode.strings(capabilityNames)
        let process: JSONValue = [
            "terminal": .bool(terminal),
            "user": ["uid": 0, "gid": 0],
            "args": Encode.strings(args),
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": ["bounding": capabilities, "effective": capabilities, "permitted": capabilities],
            "rlimits": [["type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024]],
            "noNewPrivileges": true,
        ]
        var linux: JSONObject = [:]
        if rootless {
            linux["uidMappings"] = [["containerID": 0, "hostID": .int(uid), "size": 1]]
            linux["gidMappings"] = [["containerID": 0, "hostID": .int(gid), "size": 1]]
        } else {
            linux["resources"] = ["devices": [["allow": false, "access": "rwm"]]]
        }
        var namespaces: [NamespaceKind] = rootless ? [.pid, .ipc, .uts, .mount] : [.pid, .network, .ipc, .uts, .mount]
        if cgroupNamespace { namespaces.append(.cgroup) }
        if rootless { namespaces.append(.user) }
        linux["namespaces"] = .array(namespaces.map { ["type": .string($0.rawValue)] })
        linux["maskedPaths"] = Encode.strings(maskedPaths)
        linux["readonlyPaths"] = Encode.strings(readonlyPaths)
        if seccomp { linux["seccomp"] = DefaultSeccompProfile.make(capabilities: capabilityNames, x32: seccompX32).json }
        return [
            "ociVersion": .string(OCIVersion.current),
            "process": process,
            "root": ["path": "rootfs", "readonly": true],
            "hostname": "runc",
            "mounts": .array(mounts(rootless: rootless)),
            "linux": .object(linux),
        ]
    }

    /// Paths hidden from the container (bind-mounted over with /dev/null or an empty tmpfs).
    public static let maskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/tpm",
    ]

    /// Paths remounted read-only in the container.
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    private static func mounts(rootless: Bool) -> [JSONValue] {
        var mounts: [JSONValue] = [
            ["destination": "/proc", "type": "proc", "source": "proc"],
            mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            mount("/dev/pts", "devpts", "devpts",
                  ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] + (rootless ? [] : ["gid=5"])),
            mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
        ]
        if rootless {
            // sysfs cannot be mounted without owning the network namespace; bind the host's.
            mounts.append(mount("/sys", "none", "/sys", ["rbind", "nosuid", "noexec", "nodev", "ro"]))
        } else {
            mounts.append(mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]))
        }
        mounts.append(mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"]))
        return mounts
    }

    private static func mount(_ destination: String, _ type: String, _ source: String, _ options: [String]) -> JSONValue {
        ["destination": .string(destination), "type": .string(type), "source": .string(source),
         "options": Encode.strings(options)]
    }
}
