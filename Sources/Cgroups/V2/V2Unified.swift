import Sys

/// `linux.resources.unified`: raw v2 knobs, written as given. Keys were checked (no "/" or "..");
/// the file must already exist in the leaf (a missing controller or typo is an error, never a new file).
enum V2Unified {
    static func apply(_ entries: [(key: String, value: String)], _ leaf: String) throws(CgroupError) {
        for (key, value) in entries {
            let path = leaf + "/" + key
            guard Files.exists(path) else {
                throw CgroupError.field("unified.\(key)", "\(path) does not exist (controller not enabled or unknown knob)")
            }
            try FS.write(path, value)
        }
    }
}
