import JSON

/// The seccomp profile `husk spec` writes: in effect the default profile of Docker and podman
/// (moby `profiles/seccomp/default.json`), written here as data.
///
/// An allow-list: every syscall not named fails. Two deliberate choices:
/// - The default errno is ENOSYS, not EPERM: software probing a syscall this profile does not
///   know yet (glibc's `clone3`, newer `*_time64` or `fchmodat2` callers) then takes its
///   "old kernel" fallback instead of failing hard.
/// - Groups that are only harmless with a capability (mount/unshare/setns with CAP_SYS_ADMIN,
///   ptrace-like calls with CAP_SYS_PTRACE …) are added when the capability set passed in (the
///   bounding set, as moby does) grants it; without CAP_SYS_ADMIN, `clone` is allowed only
///   without namespace flags and `clone3` (whose flags BPF cannot see) fails with ENOSYS.
///
/// Never allowed, whatever the capabilities: keyctl, add_key, request_key (the keyring is not
/// namespaced), kexec_load/kexec_file_load, userfaultfd, swapon/swapoff, pivot_root, and every
/// syscall not listed here.
public enum DefaultSeccompProfile {
    public static let enosys: UInt32 = 38

    /// The profile for a process whose bounding set is `capabilities` (CAP_* names). `x32`:
    /// list SCMP_ARCH_X32 (x86-64); false for a config made for a host whose kernel does not
    /// run x32 system calls (an x32 call is then a bad-architecture kill, not ENOSYS).
    public static func make(capabilities: [String], x32: Bool = true) -> LinuxSeccomp {
        let caps = Set(capabilities)
        var profile = LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO")
        profile.defaultErrnoRet = enosys
        profile.architectures = x32 ? nativeArchitectures : nativeArchitectures.filter { $0 != "SCMP_ARCH_X32" }
        var rules = [LinuxSyscall(names: allowed + archAllowed, action: "SCMP_ACT_ALLOW")]
        // AF_VSOCK (40) reaches the hypervisor's services: not for containers.
        rules.append(LinuxSyscall(names: ["socket"], action: "SCMP_ACT_ALLOW",
                                  args: [LinuxSeccompArg(index: 0, value: 40, op: "SCMP_CMP_NE")]))
        // personality: only PER_LINUX, PER_LINUX32, UNAME26 variants and the query (0xffffffff);
        // not ADDR_NO_RANDOMIZE and friends, which weaken ASLR for setuid programs.
        for persona: UInt64 in [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff] {
            rules.append(LinuxSyscall(names: ["personality"], action: "SCMP_ACT_ALLOW",
                                      args: [LinuxSeccompArg(index: 0, value: persona, op: "SCMP_CMP_EQ")]))
        }
        for group in capabilityGroups where caps.contains(group.capability) {
            rules.append(LinuxSyscall(names: group.names, action: "SCMP_ACT_ALLOW"))
        }
        if !caps.contains("CAP_SYS_ADMIN") {
            // clone(2) without any CLONE_NEW* flag (the mask below); s390 passes flags second.
            rules.append(LinuxSyscall(names: ["clone"], action: "SCMP_ACT_ALLOW",
                                      args: [LinuxSeccompArg(index: cloneFlagsIndex, value: namespaceFlags,
                                                             valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")]))
            // clone3 passes its flags in memory: refuse it so that libc falls back to clone.
            rules.append(LinuxSyscall(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: enosys))
        }
        profile.syscalls = rules
        return profile
    }

    /// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID
    /// | CLONE_NEWNET (0x7E020000): a `clone` with any of them set is refused.
    public static let namespaceFlags: UInt64 = 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000
        | 0x1000_0000 | 0x2000_0000 | 0x4000_0000

    /// Syscalls allowed only when the capability is in the set.
    public static let capabilityGroups: [(capability: String, names: [String])] = [
        ("CAP_DAC_READ_SEARCH", ["open_by_handle_at"]),
        ("CAP_SYS_ADMIN", ["bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
                           "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
                           "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
                           "umount2", "unshare"]),
        ("CAP_SYS_BOOT", ["reboot"]),
        ("CAP_SYS_CHROOT", ["chroot"]),
        ("CAP_SYS_MODULE", ["delete_module", "init_module", "finit_module"]),
        ("CAP_SYS_PACCT", ["acct"]),
        ("CAP_SYS_PTRACE", ["kcmp", "pidfd_getfd", "process_madvise"]),
        ("CAP_SYS_RAWIO", ["iopl", "ioperm"]),
        ("CAP_SYS_TIME", ["settimeofday", "stime", "clock_settime", "clock_settime64"]),
        ("CAP_SYS_TTY_CONFIG", ["vhangup"]),
        ("CAP_SYS_NICE", ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"]),
        ("CAP_SYSLOG", ["syslog"]),
        ("CAP_BPF", ["bpf"]),
        ("CAP_PERFMON", ["perf_event_open"]),
    ]

    #if arch(x86_64)
    static let nativeArchitectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    static let archAllowed = ["arch_prctl", "modify_ldt"]
    static let cloneFlagsIndex: UInt32 = 0
    #elseif arch(arm64)
    static let nativeArchitectures = ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    static let archAllowed = ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                              "cacheflush", "set_tls"]
    static let cloneFlagsIndex: UInt32 = 0
    #elseif arch(s390x)
    static let nativeArchitectures = ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"]
    static let archAllowed = ["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"]
    static let cloneFlagsIndex: UInt32 = 1
    #elseif arch(powerpc64le)
    static let nativeArchitectures = ["SCMP_ARCH_PPC64LE"]
    static let archAllowed = ["sync_file_range2", "swapcontext"]
    static let cloneFlagsIndex: UInt32 = 0
    #elseif arch(riscv64)
    static let nativeArchitectures = ["SCMP_ARCH_RISCV64"]
    static let archAllowed = ["riscv_flush_icache"]
    static let cloneFlagsIndex: UInt32 = 0
    #else
    static let nativeArchitectures: [String] = []
    static let archAllowed: [String] = []
    static let cloneFlagsIndex: UInt32 = 0
    #endif

    /// Allowed for everyone. ptrace and process_vm_* are here (not behind CAP_SYS_PTRACE) because
    /// since Linux 4.8 seccomp runs again after a tracer changes a syscall, so ptrace cannot be
    /// used to slip past the filter; the kernel's own ptrace checks still apply.
    public static let allowed: [String] = [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
        "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
        "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
        "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
        "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
        "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
        "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
        "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
        "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
        "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait",
        "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
        "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
        "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
        "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
        "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
        "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
        "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
        "ioprio_set", "io_setup", "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc",
        "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
        "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek",
        "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create",
        "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap",
        "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
        "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl",
        "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
        "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
        "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
        "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
        "process_vm_readv", "process_vm_writev", "pselect6", "pselect6_time64", "ptrace", "pwrite64", "pwritev",
        "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
        "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
        "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
        "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
        "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
        "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
        "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
        "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
        "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
        "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
        "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
        "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
        "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
        "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64",
        "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
        "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
        "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
        "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
        "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
        "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
    ]
}

extension LinuxSeccomp {
    /// The `linux.seccomp` object, in runtime-spec field order, empty fields left out.
    public var json: JSONValue {
        var o = JSONObject()
        o["defaultAction"] = .string(defaultAction)
        if let e = defaultErrnoRet { o["defaultErrnoRet"] = .number(String(e)) }
        if !architectures.isEmpty { o["architectures"] = Encode.strings(architectures) }
        if let flags { o["flags"] = Encode.strings(flags) }
        if let listenerPath { o["listenerPath"] = .string(listenerPath) }
        if let listenerMetadata { o["listenerMetadata"] = .string(listenerMetadata) }
        o["syscalls"] = .array(syscalls.map(\.json))
        return .object(o)
    }
}

extension LinuxSyscall {
    public var json: JSONValue {
        var o = JSONObject()
        o["names"] = Encode.strings(names)
        o["action"] = .string(action)
        if let e = errnoRet { o["errnoRet"] = .number(String(e)) }
        if !args.isEmpty { o["args"] = .array(args.map(\.json)) }
        return .object(o)
    }
}

extension LinuxSeccompArg {
    public var json: JSONValue {
        var o = JSONObject()
        o["index"] = .number(String(index))
        o["value"] = .number(String(value))
        if valueTwo != 0 { o["valueTwo"] = .number(String(valueTwo)) }
        o["op"] = .string(op)
        return .object(o)
    }
}
