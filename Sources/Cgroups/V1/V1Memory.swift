import Sys

/// v1 memory controller: memory.limit_in_bytes, memsw, soft limit, swappiness, oom_control, kmem.tcp.
enum V1Memory {
    static func apply(_ m: Resources.Memory, _ dir: String) throws(CgroupError) {
        let limit = m.limit ?? 0
        var swap = m.swap ?? 0
        // As runc: an unlimited memory with no explicit swap makes swap unlimited too.
        if limit == -1 && swap == 0 { swap = -1 }
        let memsw = dir + "/memory.memsw.limit_in_bytes"
        // Without swap accounting (no memsw knob) the swap setting is ignored, as runc does.
        let swapSupported = Files.exists(memsw)
        if limit != 0 && swap != 0 && swapSupported {
            // Order the writes so memory <= memory+swap holds at every step.
            let current = UInt64(FS.readTrimmed(dir + "/memory.limit_in_bytes") ?? "") ?? 0
            if swap == -1 || current < UInt64(max(swap, 0)) {
                try FS.write(memsw, String(swap))
                try FS.write(dir + "/memory.limit_in_bytes", String(limit))
            } else {
                try FS.write(dir + "/memory.limit_in_bytes", String(limit))
                try FS.write(memsw, String(swap))
            }
        } else {
            if limit != 0 { try FS.write(dir + "/memory.limit_in_bytes", String(limit)) }
            if swap != 0 && swapSupported { try FS.write(memsw, String(swap)) }
        }
        if let r = m.reservation, r != 0 { try FS.write(dir + "/memory.soft_limit_in_bytes", String(r)) }
        // memory.kmem.limit_in_bytes is deprecated and refused by current kernels: `kernel` is ignored, as in runc 1.2.
        if let tcp = m.kernelTCP, tcp != 0, Files.exists(dir + "/memory.kmem.tcp.limit_in_bytes") {
            try FS.write(dir + "/memory.kmem.tcp.limit_in_bytes", String(tcp))
        }
        if let s = m.swappiness {
            guard s <= 100 else { throw CgroupError.field("memory.swappiness", "must be 0-100, got \(s)") }
            try Knob.set(dir, "memory.swappiness", String(s), field: "memory.swappiness")
        }
        if m.disableOOMKiller == true {
            try Knob.set(dir, "memory.oom_control", "1", field: "memory.disableOOMKiller")
        }
        if let h = m.useHierarchy, Files.exists(dir + "/memory.use_hierarchy") {
            // Cgroup v2-like kernels keep use_hierarchy at 1 and refuse 0; only write a change.
            if FS.readTrimmed(dir + "/memory.use_hierarchy") != (h ? "1" : "0") {
                try FS.write(dir + "/memory.use_hierarchy", h ? "1" : "0")
            }
        }
    }
}
