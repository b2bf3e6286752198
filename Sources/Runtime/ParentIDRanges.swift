import OCI
import Sys

/// The ids a new user namespace may map on its host side: those mapped in husk's own user
/// namespace (/proc/self/uid_map, gid_map). In the initial namespace that is everything but
/// 4294967295; inside a container (nested husk) or under a rootless engine it is far less, and
/// the kernel would only say EPERM when the map is written, after clone.
public enum ParentIDRanges {
    public struct Range: Sendable, Equatable {
        public var start: UInt64
        public var count: UInt64
        public var end: UInt64 { start + count }  // exclusive
    }

    /// The first two columns of uid_map/gid_map ("inside outside count"): our ids are the inside ones.
    public static func parse(_ text: String) -> [Range] {
        var out: [Range] = []
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count == 3, let start = UInt64(f[0]), let count = UInt64(f[2]), count > 0 else { continue }
            out.append(Range(start: start, count: count))
        }
        return merged(out)
    }

    /// Adjacent and overlapping ranges joined, in order.
    static func merged(_ ranges: [Range]) -> [Range] {
        var out: [Range] = []
        for r in ranges.sorted(by: { $0.start < $1.start }) {
            if let last = out.last, r.start <= last.end {
                out[out.count - 1].count = max(last.end, r.end) - last.start
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// Throws for the first mapping whose host ids are not all in `parent`.
    public static func check(_ maps: [LinuxIDMapping], field: String, parent: [Range], file: String) throws(HuskError) {
        for (i, m) in maps.enumerated() where m.size > 0 {
            let start = UInt64(m.hostID), end = UInt64(m.hostID) + UInt64(m.size)
            var cursor = start
            while cursor < end, let r = parent.first(where: { $0.start <= cursor && cursor < $0.end }) {
                cursor = r.end
            }
            if cursor < end {
                let have = parent.isEmpty ? "none" : parent.map { $0.count == 1 ? "\($0.start)" : "\($0.start)-\($0.end - 1)" }.joined(separator: ", ")
                throw HuskError("config.json: \(field)[\(i)]: host ids \(start)-\(end - 1) exceed the range of husk's own user "
                    + "namespace (\(file) maps \(have)); id \(cursor) is not mapped there")
            }
        }
    }

    /// Checks linux.uidMappings/gidMappings and every id-mapped mount against our own maps.
    public static func check(_ spec: Spec) throws(HuskError) {
        let linux = spec.linux ?? Linux()
        let mountMaps = spec.mounts.contains { $0.uidMappings != nil || $0.gidMappings != nil }
        guard !linux.uidMappings.isEmpty || !linux.gidMappings.isEmpty || mountMaps else { return }
        let uid = parse((try? Files.readString("/proc/self/uid_map")) ?? "")
        let gid = parse((try? Files.readString("/proc/self/gid_map")) ?? "")
        try check(linux.uidMappings, field: "linux.uidMappings", parent: uid, file: "/proc/self/uid_map")
        try check(linux.gidMappings, field: "linux.gidMappings", parent: gid, file: "/proc/self/gid_map")
        for (i, m) in spec.mounts.enumerated() {
            try check(m.uidMappings ?? [], field: "mounts[\(i)].uidMappings", parent: uid, file: "/proc/self/uid_map")
            try check(m.gidMappings ?? [], field: "mounts[\(i)].gidMappings", parent: gid, file: "/proc/self/gid_map")
        }
    }
}
