// update: new limits for a live container, from flags and from a linux.resources JSON (what
// podman sends), visible in the container's cgroup files.
import Foundation
import Testing

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct UpdateTests {
    static func sleeper(_ sb: Sandbox, _ label: String) async throws -> (id: String, pid: Int) {
        let b = try sb.bundle(label) { $0.args = ["sleep", "60"] }
        let id = sb.newID(label)
        let r = try await sb.husk(["run", "-d", "--bundle", b.path, id])
        try #require(r.status == 0, "\(r)")
        let pid = try #require(try await sb.state(id)?["pid"] as? Int)
        return (id, pid)
    }

    @Test func flagsChangeMemoryPidsAndCPU() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let (id, pid) = try await Self.sleeper(sb, "upd")
        let r = try await sb.husk(["update", "--memory", "48m", "--pids-limit", "20", "--cpu-quota", "50000",
                                   "--cpu-period", "100000", id])
        #expect(r.status == 0, "\(r)")
        #expect(CgroupFiles.read(pid: pid, .memoryLimit) == "50331648")
        #expect(CgroupFiles.read(pid: pid, .pidsMax) == "20")
        #expect(CgroupFiles.read(pid: pid, .cpuQuota) == (CgroupFiles.unified ? "50000 100000" : "50000"))
        // -1 lifts the pids limit again.
        #expect(try await sb.husk(["update", "--pids-limit", "-1", id]).status == 0)
        #expect(CgroupFiles.read(pid: pid, .pidsMax) == "max")
    }

    @Test func resourcesFromStdin() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let (id, pid) = try await Self.sleeper(sb, "updjson")
        let file = sb.dir + "/resources.json"
        try sb.writeFile(file, #"{"memory": {"limit": 41943040}, "pids": {"limit": 33}}"#)
        let r = try await sb.husk(["update", "--resources", "-", id], stdin: file)
        #expect(r.status == 0, "\(r)")
        #expect(CgroupFiles.read(pid: pid, .memoryLimit) == "41943040")
        #expect(CgroupFiles.read(pid: pid, .pidsMax) == "33")
    }

    @Test(.disabled(if: Harness.isReference, "runc ignores the flags when --resources is given"))
    func flagsOverrideTheResourcesFile() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let (id, pid) = try await Self.sleeper(sb, "updboth")
        let file = sb.dir + "/resources.json"
        try sb.writeFile(file, #"{"memory": {"limit": 41943040}, "pids": {"limit": 33}}"#)
        let r = try await sb.husk(["update", "--resources", file, "--pids-limit", "44", id])
        #expect(r.status == 0, "\(r)")
        #expect(CgroupFiles.read(pid: pid, .memoryLimit) == "41943040")
        #expect(CgroupFiles.read(pid: pid, .pidsMax) == "44")
    }

    @Test(.disabled(if: Harness.isReference, "husk's state dir layout"))
    func updatedLimitsAreRecordedInTheSavedConfig() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let (id, _) = try await Self.sleeper(sb, "updsave")
        #expect(try await sb.husk(["update", "--memory", "48m", id]).status == 0)
        #expect(try await sb.husk(["update", "--pids-limit", "20", id]).status == 0)
        let data = try #require(FileManager.default.contents(atPath: sb.stateRoot + "/" + id + "/config.json"))
        let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let resources = (config["linux"] as? [String: Any])?["resources"] as? [String: Any]
        #expect((resources?["memory"] as? [String: Any])?["limit"] as? Int == 50331648, "\(String(describing: resources))")
        #expect((resources?["pids"] as? [String: Any])?["limit"] as? Int == 20, "the second update keeps the first's limit")
    }

    @Test func badValuesAndStoppedContainersAreRefused() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let (id, pid) = try await Self.sleeper(sb, "updbad")
        let bad = try await sb.husk(["update", "--memory", "lots", id])
        #expect(bad.status != 0, "\(bad)")
        if !Harness.isReference { #expect(bad.stderr.contains("--memory"), "\(bad)") }
        #expect(try await sb.husk(["kill", id, "KILL"]).status == 0)
        #expect(try await sb.waitForStatus(id, "stopped") == "stopped")
        _ = pid
        let stopped = try await sb.husk(["update", "--pids-limit", "10", id])
        #expect(stopped.status != 0, "\(stopped)")
        if !Harness.isReference { #expect(stopped.stderr.contains("not running"), "\(stopped)") }
    }
}

/// The container's cgroup knobs, found through /proc/PID/cgroup (v1 hybrid or v2).
enum CgroupFiles {
    static let unified = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0

    enum Knob {
        case memoryLimit, pidsMax, cpuQuota, oomControl, memoryFailcnt
        var v1: (controller: String, file: String) {
            switch self {
            case .memoryLimit: ("memory", "memory.limit_in_bytes")
            case .pidsMax: ("pids", "pids.max")
            case .cpuQuota: ("cpu", "cpu.cfs_quota_us")
            case .oomControl: ("memory", "memory.oom_control")
            case .memoryFailcnt: ("memory", "memory.failcnt")
            }
        }
        var v2: String {
            switch self {
            case .memoryLimit: "memory.max"
            case .pidsMax: "pids.max"
            case .cpuQuota: "cpu.max"
            case .oomControl, .memoryFailcnt: "memory.events"
            }
        }
    }

    static func path(pid: Int, _ knob: Knob) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            if unified, f[0] == "0" { return "/sys/fs/cgroup" + f[2] + "/" + knob.v2 }
            if !unified, f[1].split(separator: ",").contains(Substring(knob.v1.controller)) {
                return "/sys/fs/cgroup/\(knob.v1.controller)" + f[2] + "/" + knob.v1.file
            }
        }
        return nil
    }

    static func read(pid: Int, _ knob: Knob) -> String? {
        path(pid: pid, knob).flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
