import Cgroups
import Sys

/// The host's cgroup layout, read from /proc/self/cgroup once per command.
public struct HostCgroups: Sendable {
    public struct Hierarchy: Sendable {
        public var name: String       // directory under /sys/fs/cgroup, e.g. "cpu,cpuacct"
        public var hostPath: String   // our own cgroup in it
    }

    public var unified: Bool
    public var hierarchies: [Hierarchy]

    /// /sys/fs/cgroup is a cgroup2 mount.
    static var unifiedHost: Bool { Cgroups.version == .v2 }

    public static var current: HostCgroups {
        if unifiedHost { return HostCgroups(unified: true, hierarchies: []) }
        var out: [Hierarchy] = []
        let text = (try? Files.readString("/proc/self/cgroup")) ?? ""
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            var name = String(parts[1])
            if name.isEmpty { name = "unified" }
            if name.hasPrefix("name=") { name = String(name.dropFirst(5)) }
            let mountpoint = "/sys/fs/cgroup/" + name
            let path = mountpoint + (parts[2] == "/" ? "" : String(parts[2]))
            if Files.isDirectory(path) { out.append(Hierarchy(name: name, hostPath: path)) }
        }
        return HostCgroups(unified: false, hierarchies: out)
    }
}

/// Whether the host's Linux security modules are usable.
public enum HostSecurity {
    public static var apparmorEnabled: Bool {
        ((try? Files.readString("/sys/module/apparmor/parameters/enabled")) ?? "").hasPrefix("Y")
            && Files.exists("/proc/self/attr/apparmor/exec")
    }

    public static var selinuxEnabled: Bool { Files.exists("/sys/fs/selinux/enforce") }
}
