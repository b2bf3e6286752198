/// Linux capability names and numbers (linux/capability.h).
public enum Capabilities {
    /// Every capability husk knows, indexed by number: CAP_CHOWN is 0, CAP_CHECKPOINT_RESTORE is 40.
    public static let allNames: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    /// The highest capability number husk knows (CAP_LAST_CAP at build time).
    public static let last = allNames.count - 1

    private static let numbers: [String: Int] = Dictionary(
        uniqueKeysWithValues: allNames.enumerated().map { ($0.element, $0.offset) })

    /// The number of a CAP_* name, nil if unknown.
    public static func number(of name: String) -> Int? { numbers[name] }

    /// A name that `mask` could not resolve.
    public struct UnknownCapability: Error, CustomStringConvertible, Sendable, Equatable {
        public let name: String
        /// An error about `name`.
        public init(name: String) { self.name = name }
        public var description: String { "unknown capability \(quoted(name))" }
    }

    /// The bit mask (1 << number) of a set of CAP_* names, as capset(2) takes it.
    public static func mask(_ names: [String]) throws(UnknownCapability) -> UInt64 {
        var mask: UInt64 = 0
        for name in names {
            guard let number = number(of: name) else { throw UnknownCapability(name: name) }
            mask |= 1 << UInt64(number)
        }
        return mask
    }
}
