import Cgroups
import Glibc
import JSON

extension Runtime {
    /// Applies new limits (a `linux.resources` object; absent or zero fields stay as they are)
    /// to a created, running or paused container, as runc's update does.
    public func update(_ id: String, resources: JSONValue) throws(HuskError) {
        let record = try store.load(id)
        let lockFD = try store.lock(id)
        defer { close(lockFD) }
        let st = status(of: record)
        guard st != .stopped else {
            throw HuskError("cannot update container \"\(id)\": container not running")
        }
        do {
            try cgroups(of: record).update(resources: resources)
        } catch {
            throw HuskError("cannot update container \"\(id)\": \(error)")
        }
    }
}
