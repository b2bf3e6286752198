// events: a stats snapshot (--stats) shaped like runc's, and the stream that reports OOM kills
// and ends when the container is gone.
import Foundation
import Testing

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct EventsTests {
    /// Whether this kernel counts OOM kills per cgroup: v2 memory.events, or v1 memory.oom_control
    /// with an `oom_kill` line (4.13+). Otherwise the OOM test skips.
    static let oomKillsCounted: Bool = {
        if CgroupFiles.unified { return true }
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return false }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if f.count == 3, f[1].split(separator: ",").contains("memory") {
                let control = (try? String(contentsOfFile: "/sys/fs/cgroup/memory" + f[2] + "/memory.oom_control", encoding: .utf8)) ?? ""
                return control.contains("oom_kill ")
            }
        }
        return false
    }()

    static func json(_ line: Substring) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }

    @Test func statsSnapshotHasMemoryAndPids() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            var linux = $0.linux
            linux["resources"] = ["memory": ["limit": 64 * 1024 * 1024], "pids": ["limit": 40]]
            $0.linux = linux
            $0.args = ["sleep", "60"]
        }
        let id = sb.newID("stats")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        let r = try await sb.husk(["events", "--stats", id])
        #expect(r.status == 0, "\(r)")
        let event = try #require(Self.json(Substring(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))), "\(r)")
        #expect(event["type"] as? String == "stats")
        #expect(event["id"] as? String == id)
        let data = try #require(event["data"] as? [String: Any], "\(r)")
        let memory = try #require((data["memory"] as? [String: Any])?["usage"] as? [String: Any], "\(r)")
        #expect((memory["usage"] as? Int ?? 0) > 0, "\(r)")
        #expect(memory["limit"] as? Int == 64 * 1024 * 1024, "\(r)")
        let pids = try #require(data["pids"] as? [String: Any], "\(r)")
        #expect((pids["current"] as? Int ?? 0) >= 1, "\(r)")
        #expect(pids["limit"] as? Int == 40, "\(r)")
        #expect(data["cpu"] is [String: Any], "\(r)")
    }

    @Test func eventsOfAStoppedContainerFail() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["true"] }
        let id = sb.newID("evstop")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.waitForStatus(id, "stopped") == "stopped")
        let r = try await sb.husk(["events", "--stats", id])
        #expect(r.status != 0, "\(r)")
    }

    @Test(.enabled(if: EventsTests.oomKillsCounted, "this kernel does not count OOM kills per cgroup (no oom_kill in memory.oom_control)"),
          .timeLimit(.minutes(1)))
    func oomKillIsReportedAndStreamEndsWithTheContainer() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let limit = 16 * 1024 * 1024
        let b = try sb.bundle {
            var linux = $0.linux
            // swap = limit: no swapping out of the OOM.
            linux["resources"] = ["memory": ["limit": limit, "swap": limit]]
            $0.linux = linux
            // tail keeps a newline-free stream in memory: it grows until the OOM killer takes it.
            $0.shell("while true; do head -c 64m /dev/zero | tail > /dev/null; sleep 1; done")
        }
        let id = sb.newID("oom")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        let events = try sb.startHusk(["events", "--interval", "1s", id])
        let sawOOM = await Harness.poll(timeout: 20, every: 100) {
            events.stdout.split(separator: "\n").contains { Self.json($0)?["type"] as? String == "oom" }
        }
        let pid = try await sb.state(id)?["pid"] as? Int
        #expect(sawOOM, "no oom event; stdout: \(events.stdout) stderr: \(events.stderr); oom counter: \(pid.flatMap { CgroupFiles.read(pid: $0, .oomControl) } ?? "?")")
        for line in events.stdout.split(separator: "\n") {
            let e = Self.json(line)
            #expect(e?["id"] as? String == id, "every line is a JSON event of this container: \(line)")
        }
        #expect(try await sb.husk(["delete", "--force", id]).status == 0)
        if Harness.isReference {
            // runc's stream never ends by itself.
            events.kill()
            _ = await events.wait(timeout: 5)
        } else {
            let end = await events.wait(timeout: 15)
            #expect(!end.timedOut && end.status == 0, "events stops once the container is gone: \(end)")
        }
    }
}
