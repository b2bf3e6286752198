// Rules for user namespace mappings (`linux.uidMappings`, `linux.gidMappings`, and the
// id-mapped mounts' `mounts[].uidMappings`): what the kernel would refuse with a bare EINVAL
// when the map is written, said up front with the entry at fault.

extension LinuxIDMapping {
    /// The last id of the container side and of the host side (64-bit: they may pass 2^32 - 1).
    var containerEnd: UInt64 { UInt64(containerID) + UInt64(size) - 1 }
    var hostEnd: UInt64 { UInt64(hostID) + UInt64(size) - 1 }

    /// "1000-1999" (or "1000" for one id).
    static func range(_ start: UInt32, _ end: UInt64) -> String {
        UInt64(start) == end ? "\(start)" : "\(start)-\(end)"
    }
}

extension Checker {
    /// The kernel accepts at most this many lines in uid_map/gid_map.
    static let maxIDMappings = 340

    /// Each mapping is non-empty, within the 32-bit id space (4294967295 is not an id), and
    /// overlaps no earlier one on either side.
    mutating func idMappings(_ maps: [LinuxIDMapping], _ field: String) {
        if maps.count > Checker.maxIDMappings {
            fail(field, "\(maps.count) mappings, the kernel allows at most \(Checker.maxIDMappings)")
        }
        for (i, m) in maps.enumerated() {
            if m.size == 0 {
                fail(field, i, "size must be greater than zero")
                continue
            }
            let limit = UInt64(UInt32.max) - 1
            if m.containerEnd > limit {
                fail(field, i, "container ids \(LinuxIDMapping.range(m.containerID, m.containerEnd)) go past the largest id \(limit)")
                continue
            }
            if m.hostEnd > limit {
                fail(field, i, "host ids \(LinuxIDMapping.range(m.hostID, m.hostEnd)) go past the largest id \(limit)")
                continue
            }
            for (j, earlier) in maps.prefix(i).enumerated() where earlier.size > 0 {
                if UInt64(m.containerID) <= earlier.containerEnd && UInt64(earlier.containerID) <= m.containerEnd {
                    fail(field, i, "container ids \(LinuxIDMapping.range(m.containerID, m.containerEnd)) overlap those of "
                        + "\(field)[\(j)] (\(LinuxIDMapping.range(earlier.containerID, earlier.containerEnd)))")
                    break
                }
                if UInt64(m.hostID) <= earlier.hostEnd && UInt64(earlier.hostID) <= m.hostEnd {
                    fail(field, i, "host ids \(LinuxIDMapping.range(m.hostID, m.hostEnd)) overlap those of "
                        + "\(field)[\(j)] (\(LinuxIDMapping.range(earlier.hostID, earlier.hostEnd)))")
                    break
                }
            }
        }
    }
}
