/// RLIMIT_* names and their resource numbers for setrlimit(2).
public enum Rlimits {
    /// Resource numbers of the generic Linux ABI (x86_64, aarch64, riscv64…), from asm-generic/resource.h.
    public static let resources: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
        "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
        "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
        "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    /// The resource number of an RLIMIT_* name, nil if unknown.
    public static func resource(of name: String) -> Int32? { resources[name] }

    /// The value that means "no limit" (RLIM_INFINITY).
    public static let infinity = UInt64.max
}
