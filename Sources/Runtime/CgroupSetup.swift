import Cgroups
import JSON
import OCI
import Sys

/// A container's cgroup being made (directories, limits) on another thread while create
/// builds the launch plan and the state dir: on cgroup v1 that is a mkdir and a few writes
/// in each hierarchy, ~0.5 ms that no longer waits for the plan. `finish()` joins the thread
/// before the clone (children start from a single-threaded parent) and reports a failure
/// where the inline create did; `abandon()` joins it and removes whatever it made.
final class CgroupSetup: @unchecked Sendable {
    let manager: any CgroupManager
    private var job: BackgroundJob?
    private var failure: CgroupError?

    /// Starts creating `manager`'s cgroup with `resources` (see `resources(of:)`). Rootless
    /// (no cgroup): nothing.
    init(_ manager: any CgroupManager, resources: JSONValue) {
        self.manager = manager
        if manager is NoCgroupManager { return }
        job = BackgroundJob { [self] in
            do throws(CgroupError) {
                try manager.create(resources: resources)
            } catch {
                failure = error
            }
        }
    }

    /// What a container's cgroup gets: `linux.resources` plus an allow rule for each device
    /// node of `linux.devices` (see Cgroups.resources).
    static func resources(of linux: Linux) -> JSONValue {
        let devices = linux.devices.compactMap { d -> (type: String, major: Int64, minor: Int64)? in
            guard let major = d.major, let minor = d.minor, d.type == "c" || d.type == "b" || d.type == "u" else { return nil }
            return (d.type == "u" ? "c" : d.type, major, minor)
        }
        return Cgroups.resources(linux.resources, allowingDevices: devices)
    }

    /// Waits for the cgroup; its error, if making it failed (nothing of it is left then).
    func finish() throws(HuskError) {
        job?.wait()
        job = nil
        if let failure { throw HuskError(failure.description) }
    }

    /// After a failed create: waits for the thread, then removes the cgroup it made.
    func abandon() {
        job?.wait()
        job = nil
        if failure == nil { try? manager.destroy(killFirst: true) }
    }
}
