import JSON
import OCI

/// What husk remembers about a container between invocations (state.json in its dir).
/// The OCI status is not stored: it is derived from the live system each time (see Status).
public struct ContainerRecord: Sendable {
    public var id: String
    public var ociVersion: String
    public var pid: Int32
    /// /proc/PID/stat start time of init: a reused PID never passes for the container.
    public var initStartTime: UInt64
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: UInt32
    public var annotations: [(String, String)]
    /// linux.cgroupsPath as given (nil: husk's default), to find the cgroup again.
    public var cgroupsPath: String? = nil
    /// /proc/self/cgroup of the husk that created it (relative cgroupsPath resolves against it).
    public var creatorCgroup: String? = nil
    /// Made without a cgroup (rootless): no cgroup to kill, freeze or remove.
    public var noCgroup = false
    /// The config has no poststop hooks: delete need not decode it (records written before
    /// this field existed say false, and delete decodes the config as before).
    public var noPoststopHooks = false
    /// The `husk supervise` process watching init (`run -d`), with its /proc start time;
    /// nil when an engine's shim or a foreground `run` watches it instead.
    public var supervisorPid: Int32? = nil
    public var supervisorStartTime: UInt64? = nil
    /// How init ended, from the supervisor's exit.json (filled in by StateStore.load, not stored here).
    public var exit: ExitRecord? = nil

    public var json: JSONValue {
        var o = JSONObject()
        o["id"] = .string(id)
        o["ociVersion"] = .string(ociVersion)
        o["pid"] = .int(pid)
        o["initStartTime"] = .int(initStartTime)
        o["bundle"] = .string(bundle)
        o["rootfs"] = .string(rootfs)
        o["created"] = .string(created)
        o["owner"] = .int(owner)
        o["annotations"] = .object(JSONObject(annotations.map { ($0.0, JSONValue.string($0.1)) }))
        if let cgroupsPath { o["cgroupsPath"] = .string(cgroupsPath) }
        if let creatorCgroup { o["creatorCgroup"] = .string(creatorCgroup) }
        if noCgroup { o["noCgroup"] = .bool(true) }
        if noPoststopHooks { o["noPoststopHooks"] = .bool(true) }
        if let supervisorPid { o["supervisorPid"] = .int(supervisorPid) }
        if let supervisorStartTime { o["supervisorStartTime"] = .int(supervisorStartTime) }
        return .object(o)
    }

    public init(id: String, ociVersion: String, pid: Int32, initStartTime: UInt64, bundle: String,
                rootfs: String, created: String, owner: UInt32, annotations: [(String, String)]) {
        self.id = id
        self.ociVersion = ociVersion
        self.pid = pid
        self.initStartTime = initStartTime
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.owner = owner
        self.annotations = annotations
    }

    public init?(json: JSONValue) {
        guard let o = json.object, let id = o["id"]?.string, let pid = o["pid"]?.int32,
              let start = o["initStartTime"]?.uint64, let bundle = o["bundle"]?.string else { return nil }
        self.id = id
        self.ociVersion = o["ociVersion"]?.string ?? "1.2.0"
        self.pid = pid
        self.initStartTime = start
        self.bundle = bundle
        self.rootfs = o["rootfs"]?.string ?? ""
        self.created = o["created"]?.string ?? ""
        self.owner = o["owner"]?.uint32 ?? 0
        self.annotations = (o["annotations"]?.object?.pairs ?? []).compactMap { p in p.value.string.map { (p.key, $0) } }
        self.cgroupsPath = o["cgroupsPath"]?.string
        self.creatorCgroup = o["creatorCgroup"]?.string
        if case .bool(true)? = o["noCgroup"] { self.noCgroup = true }
        if case .bool(true)? = o["noPoststopHooks"] { self.noPoststopHooks = true }
        self.supervisorPid = o["supervisorPid"]?.int32
        self.supervisorStartTime = o["supervisorStartTime"]?.uint64
    }

    /// The OCI state document (`husk state`, hooks' stdin).
    public func ociState(_ status: Status) -> JSONValue {
        var o = JSONObject()
        o["ociVersion"] = .string(ociVersion)
        o["id"] = .string(id)
        o["status"] = .string(status.rawValue)
        if status != .stopped { o["pid"] = .int(pid) } else { o["pid"] = .int(0) }
        o["bundle"] = .string(bundle)
        o["rootfs"] = .string(rootfs)
        o["created"] = .string(created)
        o["owner"] = .string(owner == 0 ? "root" : String(owner))
        if !annotations.isEmpty {
            o["annotations"] = .object(JSONObject(annotations.map { ($0.0, JSONValue.string($0.1)) }))
        }
        return .object(o)
    }
}

/// The OCI lifecycle states husk reports.
public enum Status: String, Sendable {
    case creating, created, running, stopped, paused
}
