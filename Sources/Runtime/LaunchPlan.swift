/// Everything the child does between clone and execve, decided in Swift (policy) so it can
/// be unit-tested without root; CPlan lowers it to the C struct the child reads (mechanism).
public struct LaunchPlan: Sendable, Equatable {
    public struct Mount: Sendable, Equatable {
        public var source: String?
        public var destination: String
        public var fstype: String?
        public var data: String?
        public var flags: UInt = 0
        public var propagation: [UInt] = []
        public var attrSet: UInt64 = 0
        public var attrClear: UInt64 = 0
        public var bind = false
        /// An id-mapped bind: made in the parent (IDMappedMounts), moved into place by the child.
        public var idmap: IDMap? = nil
        public var idmapFD: Int32 = -1
    }

    public struct IDMap: Sendable, Equatable {
        public var uid: [IDMapping]
        public var gid: [IDMapping]
        /// "ridmap": submounts of an rbind are id-mapped too.
        public var recursive: Bool
        /// "mounts[3]", for errors.
        public var field: String
    }

    public struct Device: Sendable, Equatable {
        public var path: String
        public var mode: UInt32
        public var major: UInt32
        public var minor: UInt32
        public var uid: UInt32
        public var gid: UInt32
    }

    public struct Rlimit: Sendable, Equatable {
        public var name: String
        public var resource: Int32
        public var soft: UInt64
        public var hard: UInt64
    }

    public struct Hook: Sendable, Equatable {
        public var path: String
        public var args: [String]
        public var env: [String]
        public var timeout: Int
    }

    public struct Scheduler: Sendable, Equatable {
        public var policy: Int32
        public var priority: Int32 = 0
        public var nice: Int32 = 0
        public var flags: UInt64 = 0
        public var runtime: UInt64 = 0
        public var deadline: UInt64 = 0
        public var period: UInt64 = 0
    }

    public struct Capabilities: Sendable, Equatable {
        public var bounding: UInt64 = 0, effective: UInt64 = 0, permitted: UInt64 = 0
        public var inheritable: UInt64 = 0, ambient: UInt64 = 0
    }

    // namespaces
    public var cloneFlags: UInt64 = 0
    public var newTimeNamespace = false
    public var timeOffsets: [[Int64]] = [[0, 0], [0, 0]]
    public var joins: [(type: Int32, path: String)] = []
    /// Open namespace fds to join instead of a join's path, by CLONE_NEW* type (exec into a
    /// created rootless container, whose init hands them out: see CHusk/child_nsserver.c).
    public var joinFDs: [Int32: Int32] = [:]
    /// The container's cgroup: a v2 leaf fd for CLONE_INTO_CGROUP, the files to join by
    /// writing "0" otherwise (`CgroupManager.joinFiles`), and whether the cgroup namespace
    /// must be made after joining.
    public var cgroupFD: Int32 = -1
    public var cgroupJoinFiles: [String] = []
    public var unshareCgroupNamespace = false
    /// exec into a running container: see husk_plan.non_dumpable.
    public var nonDumpable = false
    public var newUserNamespace: Bool { cloneFlags & UInt64(HuskNamespace.user.flag) != 0 }
    public var uidMappings: [IDMapping] = []
    public var gidMappings: [IDMapping] = []
    /// setgroups is denied in the user namespace (rootless, gid_map written by husk): never call it.
    public var skipSetgroups = false

    // rootfs
    public var rootfs: String?
    public var readonlyRoot = false
    public var rootfsPropagation: UInt = 0
    public var noPivot = false
    /// No mount namespace: chroot into the rootfs and mount nothing (as runc does).
    public var chrootOnly = false
    public var mounts: [Mount] = []
    public var defaultDevices = true
    public var devices: [Device] = []
    public var maskedPaths: [String] = []
    public var readonlyPaths: [String] = []
    public var sysctls: [(path: String, value: String)] = []
    public var hostname: String?
    public var domainname: String?
    /// Bring `lo` up in the new network namespace (annotation `org.husk.loopback: up`).
    public var loopbackUp = false

    // hooks
    public var createContainerHooks: [Hook] = []
    public var startContainerHooks: [Hook] = []

    // process
    public var args: [String] = []
    public var env: [String] = []
    public var cwd: String = "/"
    public var terminal = false
    public var consoleSize: (width: UInt16, height: UInt16) = (0, 0)
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var additionalGids: [UInt32] = []
    public var umask: Int32 = -1
    public var rlimits: [Rlimit] = []
    public var noNewPrivileges = false
    public var oomScoreAdj: Int32?
    public var capabilities: Capabilities?
    public var ioPriority: Int32?
    public var scheduler: Scheduler?
    public var personality: UInt?
    public var seccompFilter: [UInt8]? = nil
    public var seccompFlags: UInt32 = 0
    /// The filter has SCMP_ACT_NOTIFY rules: its listener fd goes to this agent.
    public var seccompListener: SeccompListener? = nil
    /// Load the filter (with no_new_privs) right after telling create "ready", while create
    /// records the container, instead of after `start`: ~0.4 ms off a sandbox's start. Only
    /// for a filter that allows what init still does then (openat, write and close of the
    /// start fifo, close_range, execve) and with no startContainer hooks, which must not run
    /// under it: the sandbox's own default profile.
    public var seccompBeforeStart = false
    /// Init waits for `start` on the sync socket, not on the state dir's exec.fifo
    /// (CreateOptions.startInProcess).
    public var startBySync = false

    public init() {}

    public static func == (a: LaunchPlan, b: LaunchPlan) -> Bool {
        a.cloneFlags == b.cloneFlags && a.joins.map { "\($0.type):\($0.path)" } == b.joins.map { "\($0.type):\($0.path)" }
            && a.rootfs == b.rootfs && a.mounts == b.mounts && a.devices == b.devices && a.args == b.args
            && a.env == b.env && a.cwd == b.cwd && a.uid == b.uid && a.gid == b.gid
            && a.sysctls.map { $0.path + "=" + $0.value } == b.sysctls.map { $0.path + "=" + $0.value }
    }

    /// PATH from the process environment, used to find argv[0].
    public var pathVariable: String? {
        env.last(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) }
    }
}

public struct IDMapping: Sendable, Equatable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32
}

/// Linux namespace kinds with their clone flags and /proc/PID/ns names.
public enum HuskNamespace: String, CaseIterable, Sendable {
    case pid, network, mount, ipc, uts, user, cgroup, time

    public var flag: Int32 {
        switch self {
        case .pid: 0x2000_0000
        case .network: 0x4000_0000
        case .mount: 0x0002_0000
        case .ipc: 0x0800_0000
        case .uts: 0x0400_0000
        case .user: 0x1000_0000
        case .cgroup: 0x0200_0000
        case .time: 0x0000_0080
        }
    }

    /// The file under /proc/PID/ns/.
    public var procName: String {
        switch self {
        case .network: "net"
        case .mount: "mnt"
        default: rawValue
        }
    }
}
