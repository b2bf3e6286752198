import JSON

/// The process to run in the container (config.json `process`, also process.json for exec).
public struct Process: Sendable, Equatable {
    /// Attach a pseudo-terminal.
    public var terminal = false
    /// Initial terminal size.
    public var consoleSize: ConsoleSize?
    /// The identity the process runs as.
    public var user = User()
    /// argv; the first element is the program.
    public var args: [String] = []
    /// Windows only; kept so the field round-trips.
    public var commandLine: String?
    /// Environment entries, "NAME=value".
    public var env: [String] = []
    /// Working directory, absolute inside the container.
    public var cwd = ""
    /// Capability sets.
    public var capabilities: LinuxCapabilities?
    /// Resource limits, applied with setrlimit.
    public var rlimits: [Rlimit] = []
    /// Set PR_SET_NO_NEW_PRIVS.
    public var noNewPrivileges = false
    /// AppArmor profile name.
    public var apparmorProfile: String?
    /// Value for /proc/self/oom_score_adj.
    public var oomScoreAdj: Int?
    /// SELinux process label.
    public var selinuxLabel: String?
    /// sched_setattr parameters.
    public var scheduler: Scheduler?
    /// ioprio_set parameters.
    public var ioPriority: IOPriority?
    /// CPU affinity while and after exec.
    public var execCPUAffinity: CPUAffinity?

    /// An empty process, to fill in code.
    public init() {}

    /// Decodes `process`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        terminal = try reader.optional("terminal", Decode.bool) ?? false
        consoleSize = try reader.optional("consoleSize", ConsoleSize.init(json:))
        user = try reader.optional("user", User.init(json:)) ?? User()
        args = try reader.optional("args", Decode.strings) ?? []
        commandLine = try reader.optional("commandLine", Decode.string)
        env = try reader.optional("env", Decode.strings) ?? []
        cwd = try reader.optional("cwd", Decode.string) ?? ""
        capabilities = try reader.optional("capabilities", LinuxCapabilities.init(json:))
        rlimits = try reader.optional("rlimits", Decode.array(of: Rlimit.init(json:))) ?? []
        noNewPrivileges = try reader.optional("noNewPrivileges", Decode.bool) ?? false
        apparmorProfile = try reader.optional("apparmorProfile", Decode.string)
        oomScoreAdj = try reader.optional("oomScoreAdj", Decode.int)
        selinuxLabel = try reader.optional("selinuxLabel", Decode.string)
        scheduler = try reader.optional("scheduler", Scheduler.init(json:))
        ioPriority = try reader.optional("ioPriority", IOPriority.init(json:))
        execCPUAffinity = try reader.optional("execCPUAffinity", CPUAffinity.init(json:))
    }
}

/// Terminal dimensions in character cells.
public struct ConsoleSize: Sendable, Equatable {
    public var height: UInt32 = 0
    public var width: UInt32 = 0

    /// A size of `height` rows by `width` columns.
    public init(height: UInt32, width: UInt32) {
        self.height = height
        self.width = width
    }

    /// Decodes `process.consoleSize`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        height = try reader.required("height", Decode.uint32)
        width = try reader.required("width", Decode.uint32)
    }
}

/// The user and groups of the process, as numeric ids in the container.
public struct User: Sendable, Equatable {
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    /// File mode creation mask; nil leaves the runtime's default (0022).
    public var umask: UInt32?
    public var additionalGids: [UInt32] = []
    /// Windows only; kept so the field round-trips.
    public var username: String?

    /// Root, with no extra groups.
    public init() {}

    /// Decodes `process.user`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        uid = try reader.optional("uid", Decode.uint32) ?? 0
        gid = try reader.optional("gid", Decode.uint32) ?? 0
        umask = try reader.optional("umask", Decode.uint32)
        additionalGids = try reader.optional("additionalGids", Decode.array(of: Decode.uint32)) ?? []
        username = try reader.optional("username", Decode.string)
    }
}

/// The five capability sets, as CAP_* names.
public struct LinuxCapabilities: Sendable, Equatable {
    public var bounding: [String] = []
    public var effective: [String] = []
    public var inheritable: [String] = []
    public var permitted: [String] = []
    public var ambient: [String] = []

    /// All sets empty.
    public init() {}

    /// Decodes `process.capabilities`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        bounding = try reader.optional("bounding", Decode.strings) ?? []
        effective = try reader.optional("effective", Decode.strings) ?? []
        inheritable = try reader.optional("inheritable", Decode.strings) ?? []
        permitted = try reader.optional("permitted", Decode.strings) ?? []
        ambient = try reader.optional("ambient", Decode.strings) ?? []
    }

    /// The sets with their JSON names, in spec order (for validation messages).
    public var namedSets: [(name: String, names: [String])] {
        [("bounding", bounding), ("effective", effective), ("inheritable", inheritable),
         ("permitted", permitted), ("ambient", ambient)]
    }
}

/// One resource limit.
public struct Rlimit: Sendable, Equatable {
    /// The RLIMIT_* name.
    public var type: String
    public var hard: UInt64
    public var soft: UInt64

    /// A limit of `type` with the given values.
    public init(type: String, hard: UInt64, soft: UInt64) {
        self.type = type
        self.hard = hard
        self.soft = soft
    }

    /// Decodes one element of `process.rlimits`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        type = try reader.required("type", Decode.string)
        hard = try reader.required("hard", Decode.uint64)
        soft = try reader.required("soft", Decode.uint64)
    }
}

/// Scheduling policy and parameters for sched_setattr(2).
public struct Scheduler: Sendable, Equatable {
    /// SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE or SCHED_DEADLINE.
    public var policy: String
    public var nice: Int32?
    public var priority: Int32?
    /// SCHED_FLAG_* names.
    public var flags: [String] = []
    public var runtime: UInt64?
    public var deadline: UInt64?
    public var period: UInt64?

    /// A scheduler with just a policy.
    public init(policy: String) { self.policy = policy }

    /// Decodes `process.scheduler`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        policy = try reader.required("policy", Decode.string)
        nice = try reader.optional("nice", Decode.int32)
        priority = try reader.optional("priority", Decode.int32)
        flags = try reader.optional("flags", Decode.strings) ?? []
        runtime = try reader.optional("runtime", Decode.uint64)
        deadline = try reader.optional("deadline", Decode.uint64)
        period = try reader.optional("period", Decode.uint64)
    }
}

/// I/O scheduling class and priority for ioprio_set(2).
public struct IOPriority: Sendable, Equatable {
    /// IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE.
    public var `class`: String
    public var priority: Int32 = 0

    /// A priority in `ioClass`.
    public init(class ioClass: String, priority: Int32) {
        self.class = ioClass
        self.priority = priority
    }

    /// Decodes `process.ioPriority`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        self.class = try reader.required("class", Decode.string)
        priority = try reader.optional("priority", Decode.int32) ?? 0
    }
}

/// CPU lists (e.g. "0-3,7") for the exec'd process: during setup and after exec.
public struct CPUAffinity: Sendable, Equatable {
    public var initial: String?
    public var final: String?

    /// Affinities for the two phases.
    public init(initial: String? = nil, final: String? = nil) {
        self.initial = initial
        self.final = final
    }

    /// Decodes `process.execCPUAffinity`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        initial = try reader.optional("initial", Decode.string)
        final = try reader.optional("final", Decode.string)
    }
}
