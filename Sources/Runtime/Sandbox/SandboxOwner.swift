import Glibc
import JSON
import Sys

/// Who owns a sandbox dir: `<dir>/owner.json`, written by `husk sandbox` right after it made
/// the dir and again once its watcher runs. The watcher and `husk sandbox --gc` read it to
/// tell a live sandbox (its husk or its watcher still runs, on this boot) from a crashed one,
/// and to find the container (state root, ID, the creator's cgroup) when cleaning up.
public struct SandboxOwner: Sendable, Equatable {
    public var id: String
    public var stateRoot: String
    public var pid: Int32
    public var startTime: UInt64
    public var bootID: String
    /// /proc/self/cgroup of the husk that created the container: where its cgroup was made,
    /// needed when the container's state.json was never written (a crash inside create).
    public var creatorCgroup: String?
    public var watcherPid: Int32?
    public var watcherStartTime: UInt64?

    public static let fileName = "owner.json"

    public init(id: String, stateRoot: String, pid: Int32, startTime: UInt64, bootID: String, creatorCgroup: String?) {
        self.id = id
        self.stateRoot = stateRoot
        self.pid = pid
        self.startTime = startTime
        self.bootID = bootID
        self.creatorCgroup = creatorCgroup
    }

    /// The running kernel's boot ID: a PID and start time from before a reboot name no live process.
    public static func currentBootID() -> String {
        ((try? Files.readString("/proc/sys/kernel/random/boot_id")) ?? "").filter { $0 != "\n" }
    }

    public var json: JSONValue {
        var o: JSONObject = ["id": .string(id), "stateRoot": .string(stateRoot), "pid": .int(pid),
                             "startTime": .int(startTime), "bootID": .string(bootID)]
        if let creatorCgroup { o["creatorCgroup"] = .string(creatorCgroup) }
        if let watcherPid, let watcherStartTime {
            o["watcherPid"] = .int(watcherPid)
            o["watcherStartTime"] = .int(watcherStartTime)
        }
        return .object(o)
    }

    public static func parse(_ bytes: [UInt8]) -> SandboxOwner? {
        guard let v = try? JSON.parse(bytes), let o = v.object,
              let id = o["id"]?.string, let root = o["stateRoot"]?.string, let pid = o["pid"]?.int32,
              let start = o["startTime"]?.uint64, let boot = o["bootID"]?.string else { return nil }
        var owner = SandboxOwner(id: id, stateRoot: root, pid: pid, startTime: start, bootID: boot,
                                 creatorCgroup: o["creatorCgroup"]?.string)
        owner.watcherPid = o["watcherPid"]?.int32
        owner.watcherStartTime = o["watcherStartTime"]?.uint64
        return owner
    }

    public static func load(dir: String) -> SandboxOwner? {
        (try? Files.read(dir + "/" + fileName)).flatMap(parse)
    }

    public func save(dir: String) throws(SysError) {
        try Files.writeAtomically(dir + "/" + Self.fileName, JSON.serializeBytes(json) + [10], mode: 0o600)
    }

    /// The husk that runs the sandbox, or its watcher, is alive: the sandbox is not garbage.
    public var isLive: Bool {
        guard bootID == Self.currentBootID() else { return false }
        if Processes.isRunning(pid, startedAt: startTime) { return true }
        if let watcherPid, let watcherStartTime { return Processes.isRunning(watcherPid, startedAt: watcherStartTime) }
        return false
    }
}
