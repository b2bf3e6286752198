import Sys

/// v2 memory: memory.max, memory.low (reservation), memory.swap.max (= swap - limit).
/// swappiness, disableOOMKiller, kernel and kernelTCP have no v2 knob and are ignored, as in runc.
enum V2Memory {
    static func apply(_ m: Resources.Memory, _ leaf: String) throws(CgroupError) {
        if let swap = try Convert.swapMax(swap: m.swap, limit: m.limit) {
            if Files.exists(leaf + "/memory.swap.max") {
                try FS.write(leaf + "/memory.swap.max", Convert.v2Limit(swap))
            } else if swap != -1 {
                throw CgroupError.field("memory.swap", "\(leaf)/memory.swap.max does not exist (kernel without swap accounting)")
            }
        }
        if let limit = m.limit, limit != 0 { try Knob.set(leaf, "memory.max", Convert.v2Limit(limit), field: "memory.limit") }
        if let low = m.reservation, low != 0 { try Knob.set(leaf, "memory.low", Convert.v2Limit(low), field: "memory.reservation") }
    }
}
