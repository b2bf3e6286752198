// `husk run -d` under husk's supervisor: it outlives the CLI, owns init, records how init ended
// (exit.json: code, signal, OOM kill), forwards signals, and survives nothing it should not.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reading a supervised container's files in the state dir.
extension Sandbox {
    func stateFile(_ id: String, _ name: String) -> String { stateRoot + "/" + id + "/" + name }

    func stateJSON(_ id: String, _ name: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: stateFile(id, name)) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// The supervisor's pid from the record (state.json in the state dir).
    func supervisorPid(_ id: String) -> Int32? {
        (stateJSON(id, "state.json")?["supervisorPid"] as? Int).map(Int32.init)
    }

    /// `husk wait ID`, trimmed.
    func waitOutput(_ id: String, timeout: Double = 30) async throws -> String {
        let r = try await husk(["wait", id], timeout: timeout)
        #expect(r.status == 0, "\(r)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Field `index` (1-based, after the command name) of /proc/PID/stat.
func procStatField(_ pid: Int32, _ index: Int) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // fields[0] is field 3 (state): field n is fields[n - 3].
    return index - 3 < fields.count ? Int(fields[index - 3]) : nil
}

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .disabled(if: Harness.isReference, "husk's supervisor: runc has none"))
struct SupervisorTests {
    @Test func runDetachedSurvivesTheCLI() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["sleep", "30"] }
        let id = sb.newID("sup")
        let r = try await sb.husk(["run", "-d", "--bundle", b.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(r.elapsed < 10)
        let sup = try #require(sb.supervisorPid(id), "state.json names the supervisor")
        #expect(kill(sup, 0) == 0, "the supervisor outlives the CLI")
        #expect(procStatField(sup, 6) == Int(sup), "the supervisor leads its own session (setsid)")
        let pid = try #require(try await sb.state(id)?["pid"] as? Int)
        #expect(procStatField(Int32(pid), 4) == Int(sup), "init is the supervisor's child")
        #expect(try await sb.status(id) == "running")
        // `state` keeps the OCI shape.
        let state = try #require(try await sb.state(id))
        #expect(Set(state.keys).isSubset(of: ["ociVersion", "id", "status", "pid", "bundle", "rootfs", "created", "owner", "annotations"]))

        #expect(try await sb.husk(["delete", "--force", id]).status == 0)
        #expect(await Sandbox.waitGone(Int(sup)), "delete leaves no supervisor behind")
    }

    @Test func waitPrintsTheExitCode() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("sleep 0.3; exit 3") }
        let id = sb.newID("wait")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.waitOutput(id) == "3")
        let exit = try #require(sb.stateJSON(id, "exit.json"), "exit.json is written")
        #expect(exit["exitCode"] as? Int == 3)
        #expect(exit["signal"] is NSNull)
        #expect(exit["oomKilled"] as? Bool == false)
        #expect((exit["finishedAt"] as? String)?.hasSuffix("Z") == true)
        #expect(try await sb.status(id) == "stopped")
        #expect(try await sb.husk(["delete", id]).status == 0)
    }

    @Test func killedBySignalIsRecorded() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["sleep", "30"] }
        let id = sb.newID("sig")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.husk(["kill", id, "KILL"]).status == 0)
        #expect(try await sb.waitOutput(id) == "137")
        let exit = try #require(sb.stateJSON(id, "exit.json"))
        #expect(exit["signal"] as? Int == 9)
        #expect(exit["oomKilled"] as? Bool == false)
    }

    @Test func signalsToTheSupervisorReachInit() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        var ctl = ""
        let b = try sb.bundle {
            ctl = try sb.controlDir(&$0)
            $0.shell("trap 'echo got-term; exit 5' TERM; touch /ctl/ready; while true; do sleep 0.05; done")
        }
        let id = sb.newID("fwd")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.waitForFile(ctl + "/ready"))
        let sup = try #require(sb.supervisorPid(id))
        #expect(kill(sup, SIGTERM) == 0)
        #expect(try await sb.waitOutput(id) == "5")
        let logs = try await sb.husk(["logs", id])
        #expect(logs.stdout == "got-term\n", "\(logs)")
    }

    /// OOM kills are counted by v1 memory.oom_control (`oom_kill`) or v2 memory.events.
    static let oomCountable: Bool = {
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory/memory.oom_control", encoding: .utf8),
           text.contains("oom_kill ") { return true }
        return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
            && ((try? String(contentsOfFile: "/sys/fs/cgroup/cgroup.controllers", encoding: .utf8)) ?? "").contains("memory")
    }()

    @Test(.enabled(if: oomCountable, "needs a memory cgroup that counts OOM kills (v1 memory.oom_control oom_kill, or v2 memory.events)"))
    func oomKillIsRecorded() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            var linux = $0.linux
            linux["resources"] = ["memory": ["limit": 16 * 1024 * 1024, "swap": 16 * 1024 * 1024]]
            $0.linux = linux
            // busybox tail keeps the endless "line" of /dev/zero in memory.
            $0.shell("exec tail /dev/zero")
        }
        let id = sb.newID("oom")
        let r = try await sb.husk(["run", "-d", "--bundle", b.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(try await sb.waitOutput(id, timeout: 60) == "137")
        let exit = try #require(sb.stateJSON(id, "exit.json"))
        #expect(exit["oomKilled"] as? Bool == true, "\(exit)")
        #expect(exit["signal"] as? Int == 9)
        let ps = try await sb.husk(["ps"])
        #expect(ps.stdout.split(separator: "\n").contains { $0.hasPrefix(id + " ") && $0.contains(" oom ") }, "\(ps)")
    }

    @Test func supervisorKilledStateStillRightAndDeleteCleansUp() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["sleep", "30"] }
        let id = sb.newID("supkill")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        let sup = try #require(sb.supervisorPid(id))
        #expect(kill(sup, SIGKILL) == 0)
        #expect(await Sandbox.waitGone(Int(sup)))
        #expect(try await sb.status(id) == "running", "init lives on without its supervisor")
        #expect(try await sb.husk(["kill", id, "KILL"]).status == 0)
        #expect(try await sb.waitForStatus(id, "stopped") == "stopped")
        #expect(try await sb.waitOutput(id) == "unknown", "nobody recorded the exit")
        let deleted = try await sb.husk(["delete", id])
        #expect(deleted.status == 0, "\(deleted)")
        #expect(try await sb.state(id) == nil)
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }

    @Test func supervisorKilledThenDeleteForce() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["sleep", "30"] }
        let id = sb.newID("supkill2")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        let sup = try #require(sb.supervisorPid(id))
        #expect(kill(sup, SIGKILL) == 0)
        #expect(await Sandbox.waitGone(Int(sup)))
        let deleted = try await sb.husk(["delete", "--force", id])
        #expect(deleted.status == 0, "\(deleted)")
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }

    @Test func startErrorComesBackWithItsExitCode() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["/no-such-program"] }
        let id = sb.newID("noexec")
        let r = try await sb.husk(["run", "-d", "--bundle", b.path, id])
        #expect(r.status == 127, "\(r)")
        #expect(r.stderr.contains("/no-such-program"), "\(r)")
        #expect(try await sb.state(id) == nil)
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }

    @Test func noSupervisorBehavesLikeRunc() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["sleep", "30"] }
        let id = sb.newID("nosup")
        let r = try await sb.husk(["run", "-d", "--no-supervisor", "--bundle", b.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(sb.supervisorPid(id) == nil)
        #expect(try await sb.status(id) == "running")
        let logs = try await sb.husk(["logs", id])
        #expect(logs.status != 0, "no supervisor, no log: \(logs)")
        #expect(try await sb.husk(["kill", id, "KILL"]).status == 0)
        #expect(try await sb.waitOutput(id) == "unknown")
    }
}
