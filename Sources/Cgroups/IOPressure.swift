/// Pressure stall information of one resource (a cgroup2 `cpu.pressure`, `memory.pressure` or
/// `io.pressure`): the share of time some (or all) tasks of the cgroup waited for it.
public struct Pressure: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        /// Percentages over the last 10, 60 and 300 seconds.
        public var avg10 = 0.0, avg60 = 0.0, avg300 = 0.0
        /// Total stall time in microseconds.
        public var total: UInt64 = 0
        public init() {}
    }

    public var some = Line()
    /// Absent for `cpu.pressure` on kernels before 5.13.
    public var full: Line?

    public init() {}

    /// `some avg10=0.00 avg60=0.00 avg300=0.00 total=0` and an optional `full …` line; nil without a `some` line.
    public static func parse(_ text: String) -> Pressure? {
        var p = Pressure()
        var sawSome = false
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let kind = words.first, kind == "some" || kind == "full" else { continue }
            var l = Line()
            for w in words.dropFirst() {
                let kv = w.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                switch kv[0] {
                case "avg10": l.avg10 = Double(kv[1]) ?? 0
                case "avg60": l.avg60 = Double(kv[1]) ?? 0
                case "avg300": l.avg300 = Double(kv[1]) ?? 0
                case "total": l.total = UInt64(kv[1]) ?? 0
                default: break
                }
            }
            if kind == "some" { p.some = l; sawSome = true } else { p.full = l }
        }
        return sawSome ? p : nil
    }
}

/// Bytes read and written by a cgroup's tasks on block devices, summed over devices.
public enum IOBytes {
    /// cgroup2 `io.stat`: `MAJ:MIN rbytes=N wbytes=N rios=N …` per device.
    public static func parseV2(_ text: String) -> (read: UInt64, written: UInt64) {
        var r: UInt64 = 0, w: UInt64 = 0
        for line in text.split(separator: "\n") {
            for word in line.split(separator: " ").dropFirst() {
                let kv = word.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, let v = UInt64(kv[1]) else { continue }
                if kv[0] == "rbytes" { r &+= v } else if kv[0] == "wbytes" { w &+= v }
            }
        }
        return (r, w)
    }

    /// v1 `blkio.throttle.io_service_bytes(_recursive)`: `MAJ:MIN Read N`, `MAJ:MIN Write N` per
    /// device, then `Total N`. nil when no device is listed: recent kernels count IO there only
    /// on queues with a throttle rule, so a bare `Total 0` means "not counted", not "none".
    public static func parseV1(_ text: String) -> (read: UInt64, written: UInt64)? {
        var r: UInt64 = 0, w: UInt64 = 0
        var devices = false
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 3, let v = UInt64(f[2]) else { continue }
            devices = true
            if f[1] == "Read" { r &+= v } else if f[1] == "Write" { w &+= v }
        }
        return devices ? (r, w) : nil
    }
}

extension FS {
    /// `cpu`, `memory` and `io` pressure of a cgroup2 directory (those the kernel provides).
    static func pressure(_ dir: String) -> [(resource: String, pressure: Pressure)] {
        ["cpu", "memory", "io"].compactMap { r in
            (try? read(dir + "/" + r + ".pressure")).flatMap(Pressure.parse).map { (r, $0) }
        }
    }
}
