import JSON

/// A seccomp profile, as in config.json `linux.seccomp`. Compiled to BPF by the Seccomp module.
public struct LinuxSeccomp: Sendable, Equatable {
    /// SCMP_ACT_* for syscalls no rule matches.
    public var defaultAction: String
    /// errno for a default SCMP_ACT_ERRNO/SCMP_ACT_TRACE; nil means EPERM.
    public var defaultErrnoRet: UInt32?
    /// SCMP_ARCH_* names.
    public var architectures: [String] = []
    /// SECCOMP_FILTER_FLAG_* names; nil (unlike []) lets the runtime pick its defaults.
    public var flags: [String]?
    /// Unix socket that receives the SCMP_ACT_NOTIFY listener fd.
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [LinuxSyscall] = []

    /// A profile with only a default action.
    public init(defaultAction: String) { self.defaultAction = defaultAction }

    /// Decodes `linux.seccomp`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        defaultAction = try reader.required("defaultAction", Decode.string)
        defaultErrnoRet = try reader.optional("defaultErrnoRet", Decode.uint32)
        architectures = try reader.optional("architectures", Decode.strings) ?? []
        // Absent means "the native one"; a list that names none is a mistake, not a request.
        if reader.object["architectures"].map({ !$0.isNull }) == true && architectures.isEmpty {
            throw SpecError(path: [.key("architectures")],
                            .invalid("must name at least one architecture (leave the field out for the native one)"))
        }
        flags = try reader.optional("flags", Decode.strings)
        listenerPath = try reader.optional("listenerPath", Decode.string)
        listenerMetadata = try reader.optional("listenerMetadata", Decode.string)
        syscalls = try reader.optional("syscalls", Decode.array(of: LinuxSyscall.init(json:))) ?? []
    }

    /// The actions runtime-spec defines.
    public static let knownActions: Set<String> = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]

    /// The architectures runtime-spec lists (libseccomp's names).
    public static let knownArchitectures: Set<String> = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    ]

    /// The argument comparison operators runtime-spec defines.
    public static let knownOperators: Set<String> = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
        "SCMP_CMP_MASKED_EQ",
    ]
}

/// One rule: an action for a set of syscalls, optionally narrowed by argument comparisons.
public struct LinuxSyscall: Sendable, Equatable {
    public var names: [String]
    /// SCMP_ACT_*.
    public var action: String
    /// errno for SCMP_ACT_ERRNO/SCMP_ACT_TRACE; nil means EPERM.
    public var errnoRet: UInt32?
    public var args: [LinuxSeccompArg] = []

    /// A rule applying `action` to `names`.
    public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [LinuxSeccompArg] = []) {
        self.names = names
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
    }

    /// Decodes one element of `linux.seccomp.syscalls`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        names = try reader.required("names", Decode.strings)
        action = try reader.required("action", Decode.string)
        errnoRet = try reader.optional("errnoRet", Decode.uint32)
        args = try reader.optional("args", Decode.array(of: LinuxSeccompArg.init(json:))) ?? []
    }
}

/// A comparison of one syscall argument.
public struct LinuxSeccompArg: Sendable, Equatable {
    public var index: UInt32
    public var value: UInt64
    public var valueTwo: UInt64 = 0
    /// SCMP_CMP_*.
    public var op: String

    /// Compares argument `index` with `value` (and `valueTwo` for SCMP_CMP_MASKED_EQ).
    public init(index: UInt32, value: UInt64, valueTwo: UInt64 = 0, op: String) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }

    /// Decodes one element of a rule's `args`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        index = try reader.required("index", Decode.uint32)
        value = try reader.required("value", Decode.uint64)
        valueTwo = try reader.optional("valueTwo", Decode.uint64) ?? 0
        op = try reader.required("op", Decode.string)
    }
}
