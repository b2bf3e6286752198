import Glibc

/// v1 freezer: freezer.state FROZEN/THAWED, waiting through FREEZING.
enum V1Freezer {
    static func set(_ dir: String, frozen: Bool) throws(CgroupError) {
        let want = frozen ? "FROZEN" : "THAWED"
        let path = dir + "/freezer.state"
        for _ in 0..<1000 {
            try FS.write(path, want)
            if FS.readTrimmed(path) == want { return }
            usleep(1_000)
        }
        throw CgroupError("\(path) did not reach \(want) within 1 s (now \(FS.readTrimmed(path) ?? "unreadable"))")
    }
}
