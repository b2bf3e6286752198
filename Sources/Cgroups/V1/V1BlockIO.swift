import Sys

/// v1 blkio controller: weights (CFQ blkio.weight or BFQ blkio.bfq.weight) and throttling.
enum V1BlockIO {
    static func apply(_ io: Resources.BlockIO, _ dir: String) throws(CgroupError) {
        let bfq = !Files.exists(dir + "/blkio.weight") && Files.exists(dir + "/blkio.bfq.weight")
        let weightFile = bfq ? "blkio.bfq.weight" : "blkio.weight"
        if let w = io.weight, w != 0 { try Knob.set(dir, weightFile, String(w), field: "blockIO.weight") }
        if let w = io.leafWeight, w != 0 { try Knob.set(dir, "blkio.leaf_weight", String(w), field: "blockIO.leafWeight") }
        for (i, d) in io.weightDevice.enumerated() {
            if let w = d.weight {
                try Knob.set(dir, weightFile + "_device", "\(d.major):\(d.minor) \(w)", field: "blockIO.weightDevice[\(i)].weight")
            }
            if let w = d.leafWeight {
                try Knob.set(dir, "blkio.leaf_weight_device", "\(d.major):\(d.minor) \(w)", field: "blockIO.weightDevice[\(i)].leafWeight")
            }
        }
        let throttles: [(String, [Resources.ThrottleDevice], String)] = [
            ("throttleReadBpsDevice", io.throttleReadBpsDevice, "blkio.throttle.read_bps_device"),
            ("throttleWriteBpsDevice", io.throttleWriteBpsDevice, "blkio.throttle.write_bps_device"),
            ("throttleReadIOPSDevice", io.throttleReadIOPSDevice, "blkio.throttle.read_iops_device"),
            ("throttleWriteIOPSDevice", io.throttleWriteIOPSDevice, "blkio.throttle.write_iops_device"),
        ]
        for (field, devices, file) in throttles {
            for (i, d) in devices.enumerated() {
                try Knob.set(dir, file, "\(d.major):\(d.minor) \(d.rate)", field: "blockIO.\(field)[\(i)]")
            }
        }
    }
}
