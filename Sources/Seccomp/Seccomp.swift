import CSeccomp
import Glibc
import OCI

/// A seccomp profile compiled to classic BPF in the parent, ready for the child to load with
/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)` right before execve.
public struct CompiledSeccomp: Sendable, Equatable {
    /// The filter: an array of `struct sock_filter` (8 bytes each), native byte order.
    public var filter: [UInt8]
    /// SECCOMP_FILTER_FLAG_* bits for seccomp(2), from the profile's `flags`.
    public var flags: UInt32
    /// Some rule (or the default) is SCMP_ACT_NOTIFY: the loader must add
    /// SECCOMP_FILTER_FLAG_NEW_LISTENER and pass the listener fd on to `listenerPath`.
    public var needsNotify: Bool
    /// Syscall names libseccomp does not know (for this libseccomp and architecture); their
    /// rules were left out, as runc does. Worth a debug log line.
    public var skippedSyscalls: [String]

    /// The number of BPF instructions.
    public var instructionCount: Int { filter.count / 8 }

    public init(filter: [UInt8], flags: UInt32, needsNotify: Bool, skippedSyscalls: [String] = []) {
        self.filter = filter
        self.flags = flags
        self.needsNotify = needsNotify
        self.skippedSyscalls = skippedSyscalls
    }
}

/// A profile that cannot be compiled: the field at fault (`linux.seccomp.syscalls[3].action`) and why.
public struct SeccompError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The field in config.json, e.g. `linux.seccomp.architectures[1]`.
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// OCI `linux.seccomp` → BPF via libseccomp (like crun's seccomp.c, runc's seccomp_linux.go).
public enum SeccompCompiler {
    /// SECCOMP_FILTER_FLAG_* names runtime-spec defines, with their bits.
    public static let filterFlags: [String: UInt32] = [
        "SECCOMP_FILTER_FLAG_TSYNC": 1,
        "SECCOMP_FILTER_FLAG_LOG": 2,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW": 4,
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": 32,
    ]

    /// SECCOMP_FILTER_FLAG_NEW_LISTENER, for loaders of a filter with `needsNotify`.
    public static let newListenerFlag: UInt32 = 8

    /// SCMP_ARCH_* names runtime-spec defines that this libseccomp knows.
    public static let architectures: [String: UInt32] = [
        "SCMP_ARCH_X86": cseccomp_arch_x86(),
        "SCMP_ARCH_X86_64": cseccomp_arch_x86_64(),
        "SCMP_ARCH_X32": cseccomp_arch_x32(),
        "SCMP_ARCH_ARM": cseccomp_arch_arm(),
        "SCMP_ARCH_AARCH64": cseccomp_arch_aarch64(),
        "SCMP_ARCH_MIPS": cseccomp_arch_mips(),
        "SCMP_ARCH_MIPS64": cseccomp_arch_mips64(),
        "SCMP_ARCH_MIPS64N32": cseccomp_arch_mips64n32(),
        "SCMP_ARCH_MIPSEL": cseccomp_arch_mipsel(),
        "SCMP_ARCH_MIPSEL64": cseccomp_arch_mipsel64(),
        "SCMP_ARCH_MIPSEL64N32": cseccomp_arch_mipsel64n32(),
        "SCMP_ARCH_PPC": cseccomp_arch_ppc(),
        "SCMP_ARCH_PPC64": cseccomp_arch_ppc64(),
        "SCMP_ARCH_PPC64LE": cseccomp_arch_ppc64le(),
        "SCMP_ARCH_S390": cseccomp_arch_s390(),
        "SCMP_ARCH_S390X": cseccomp_arch_s390x(),
        "SCMP_ARCH_PARISC": cseccomp_arch_parisc(),
        "SCMP_ARCH_PARISC64": cseccomp_arch_parisc64(),
        "SCMP_ARCH_RISCV64": cseccomp_arch_riscv64(),
    ]

    static let operators: [String: scmp_compare] = [
        "SCMP_CMP_NE": SCMP_CMP_NE,
        "SCMP_CMP_LT": SCMP_CMP_LT,
        "SCMP_CMP_LE": SCMP_CMP_LE,
        "SCMP_CMP_EQ": SCMP_CMP_EQ,
        "SCMP_CMP_GE": SCMP_CMP_GE,
        "SCMP_CMP_GT": SCMP_CMP_GT,
        "SCMP_CMP_MASKED_EQ": SCMP_CMP_MASKED_EQ,
    ]

    /// The libseccomp action value for an SCMP_ACT_* name; `errnoRet` (nil: EPERM) is the errno
    /// for SCMP_ACT_ERRNO and the message for SCMP_ACT_TRACE. nil for an unknown name.
    public static func action(named name: String, errnoRet: UInt32?) -> UInt32? {
        let ret = errnoRet ?? UInt32(EPERM)
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return cseccomp_act_kill_thread()
        case "SCMP_ACT_KILL_PROCESS": return cseccomp_act_kill_process()
        case "SCMP_ACT_TRAP": return cseccomp_act_trap()
        case "SCMP_ACT_ERRNO": return cseccomp_act_errno(ret)
        case "SCMP_ACT_TRACE": return cseccomp_act_trace(ret)
        case "SCMP_ACT_ALLOW": return cseccomp_act_allow()
        case "SCMP_ACT_LOG": return cseccomp_act_log()
        case "SCMP_ACT_NOTIFY": return cseccomp_act_notify()
        default: return nil
        }
    }

    /// Compiles `profile` to BPF. Runs in the parent; the child only loads the result.
    public static func compile(_ profile: OCI.LinuxSeccomp) throws(SeccompError) -> CompiledSeccomp {
        let base = "linux.seccomp"

        // Check everything that needs no libseccomp context first.
        guard let defaultAction = action(named: profile.defaultAction, errnoRet: profile.defaultErrnoRet) else {
            throw SeccompError(field: "\(base).defaultAction", "unknown action \(quoted(profile.defaultAction))")
        }
        if profile.defaultAction == "SCMP_ACT_NOTIFY" {
            // runc refuses it too: every syscall, the supervisor's own included, would wait on it.
            throw SeccompError(field: "\(base).defaultAction", "SCMP_ACT_NOTIFY cannot be the default action")
        }

        var flags: UInt32 = 0
        for (i, name) in (profile.flags ?? []).enumerated() {
            guard let bit = filterFlags[name] else {
                throw SeccompError(field: "\(base).flags[\(i)]", "unknown flag \(quoted(name))")
            }
            flags |= bit
        }

        var arches: [UInt32] = []
        for (i, name) in profile.architectures.enumerated() {
            guard let arch = architectures[name] else {
                throw SeccompError(field: "\(base).architectures[\(i)]", "unknown architecture \(quoted(name))")
            }
            arches.append(arch)
        }

        var needsNotify = false
        struct Rule {
            var field: String
            var names: [String]
            var action: UInt32
            var conditions: [[scmp_arg_cmp]]  // one seccomp rule per element
        }
        var rules: [Rule] = []
        for (i, syscall) in profile.syscalls.enumerated() {
            let field = "\(base).syscalls[\(i)]"
            guard let act = action(named: syscall.action, errnoRet: syscall.errnoRet) else {
                throw SeccompError(field: "\(field).action", "unknown action \(quoted(syscall.action))")
            }
            var conditions: [scmp_arg_cmp] = []
            var perIndex = [Int](repeating: 0, count: 6)
            for (j, arg) in syscall.args.enumerated() {
                guard let op = operators[arg.op] else {
                    throw SeccompError(field: "\(field).args[\(j)].op", "unknown operator \(quoted(arg.op))")
                }
                guard arg.index < 6 else {
                    throw SeccompError(field: "\(field).args[\(j)].index", "\(arg.index) is out of range (0-5)")
                }
                perIndex[Int(arg.index)] += 1
                conditions.append(scmp_arg_cmp(arg: arg.index, op: op, datum_a: arg.value, datum_b: arg.valueTwo))
            }
            if act == cseccomp_act_notify() { needsNotify = true }
            // libseccomp refuses (EACCES) rules whose action is the default: they change nothing.
            if act == defaultAction { continue }
            // Like runc: several comparisons of one argument are alternatives (a rule each);
            // otherwise all comparisons must hold (one rule).
            let split = perIndex.contains { $0 > 1 }
            rules.append(Rule(field: field, names: syscall.names, action: act, conditions: split ? conditions.map { [$0] } : [conditions]))
        }

        guard let ctx = seccomp_init(defaultAction) else {
            throw SeccompError(field: "\(base).defaultAction", "libseccomp refused \(quoted(profile.defaultAction))")
        }
        defer { seccomp_release(ctx) }

        var rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)
        if rc < 0 { throw libseccompError(base, "setting SCMP_FLTATR_CTL_NNP", rc) }
        // A binary search over syscall numbers instead of a linear list: at load the kernel
        // runs the filter for every syscall number to build its allow cache, ~1.0 ms per start
        // over the default profile's linear list, ~0.4 ms over the tree; the syscalls the cache
        // cannot settle (argument checks) take fewer comparisons too. Older libseccomp refuses.
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)

        for (i, arch) in arches.enumerated() {
            rc = seccomp_arch_add(ctx, arch)
            if rc < 0 && rc != -EEXIST {
                throw libseccompError("\(base).architectures[\(i)]", "adding \(profile.architectures[i])", rc)
            }
        }

        var skipped: [String] = []
        for rule in rules {
            for (k, name) in rule.names.enumerated() {
                let nr = seccomp_syscall_resolve_name(name)
                if nr == cseccomp_nr_error() {
                    if !skipped.contains(name) { skipped.append(name) }
                    continue
                }
                for conds in rule.conditions {
                    rc = conds.withUnsafeBufferPointer {
                        seccomp_rule_add_array(ctx, rule.action, nr, UInt32($0.count), $0.baseAddress)
                    }
                    if rc < 0 {
                        throw libseccompError("\(rule.field).names[\(k)]", "adding rule for \(quoted(name))", rc)
                    }
                }
            }
        }

        var buf: UnsafeMutableRawPointer?
        var len = 0
        rc = cseccomp_export(ctx, &buf, &len)
        if rc < 0 { throw libseccompError(base, "exporting BPF", rc) }
        defer { cseccomp_free(buf) }
        let bytes = buf.map { Array(UnsafeRawBufferPointer(start: $0, count: len)) } ?? []
        return CompiledSeccomp(filter: bytes, flags: flags, needsNotify: needsNotify, skippedSyscalls: skipped)
    }

    private static func quoted(_ s: String) -> String { "\"\(s)\"" }

    private static func libseccompError(_ field: String, _ what: String, _ rc: Int32) -> SeccompError {
        SeccompError(field: field, "libseccomp: \(what): \(String(cString: strerror(-rc)))")
    }
}
