import CHusk

/// Facts about the running kernel that husk asks about once per process.
public enum Kernel {
    /// Whether x32 system calls run here (x86-64 kernels built with CONFIG_X86_X32_ABI; few
    /// are). A seccomp profile husk makes for this host leaves SCMP_ARCH_X32 out otherwise:
    /// a third of the default filter that no process here could reach, yet the kernel
    /// translates and JIT-compiles it at every container start.
    public static let runsX32Syscalls: Bool = husk_x32_syscalls() == 1
}
