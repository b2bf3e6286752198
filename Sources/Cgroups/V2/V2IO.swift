import Sys

/// v2 io: io.bfq.weight (raw blkio weight) when BFQ is there, else io.weight (converted); io.max throttles.
/// leafWeight has no v2 equivalent and is ignored, as in runc.
enum V2IO {
    static func apply(_ io: Resources.BlockIO, _ leaf: String) throws(CgroupError) {
        let bfq = Files.exists(leaf + "/io.bfq.weight")
        if let w = io.weight, w != 0 {
            if bfq { try FS.write(leaf + "/io.bfq.weight", String(w)) }
            else { try Knob.set(leaf, "io.weight", String(Convert.ioWeight(blkioWeight: w)), field: "blockIO.weight") }
        }
        for (i, d) in io.weightDevice.enumerated() {
            guard let w = d.weight, w != 0 else { continue }
            if bfq { try FS.write(leaf + "/io.bfq.weight", "\(d.major):\(d.minor) \(w)") }
            else { try Knob.set(leaf, "io.weight", "\(d.major):\(d.minor) \(Convert.ioWeight(blkioWeight: w))", field: "blockIO.weightDevice[\(i)]") }
        }
        let throttles: [(String, [Resources.ThrottleDevice], String)] = [
            ("throttleReadBpsDevice", io.throttleReadBpsDevice, "rbps"),
            ("throttleWriteBpsDevice", io.throttleWriteBpsDevice, "wbps"),
            ("throttleReadIOPSDevice", io.throttleReadIOPSDevice, "riops"),
            ("throttleWriteIOPSDevice", io.throttleWriteIOPSDevice, "wiops"),
        ]
        for (field, devices, key) in throttles {
            for (i, d) in devices.enumerated() {
                try Knob.set(leaf, "io.max", ioMaxLine(d, key), field: "blockIO.\(field)[\(i)]")
            }
        }
    }

    /// "8:0 rbps=1048576"; a rate of 0 removes the limit ("max"), as it does on v1.
    static func ioMaxLine(_ d: Resources.ThrottleDevice, _ key: String) -> String {
        "\(d.major):\(d.minor) \(key)=\(d.rate == 0 ? "max" : String(d.rate))"
    }
}
