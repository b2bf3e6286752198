// pause / resume: the cgroup freezer, the paused status in state and list, and what the other verbs
// do with a paused container (exec refuses, kill and delete --force still work).
import Foundation
import Testing

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct PauseTests {
    /// A detached `sleep 60`, running.
    static func sleeper(_ sb: Sandbox, _ label: String) async throws -> String {
        let b = try sb.bundle(label) { $0.args = ["sleep", "60"] }
        let id = sb.newID(label)
        let r = try await sb.husk(["run", "-d", "--bundle", b.path, id])
        try #require(r.status == 0, "\(r)")
        return id
    }

    @Test func pauseShowsPausedRefusesExecAndResumes() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await Self.sleeper(sb, "pause")
        let p = try await sb.husk(["pause", id])
        #expect(p.status == 0, "\(p)")
        #expect(try await sb.status(id) == "paused")
        let list = try await sb.husk(["list", "--format", "json"])
        #expect(list.stdout.contains("\"paused\""), "\(list)")

        let e = try await sb.husk(["exec", id, "true"], timeout: 10)
        #expect(e.status != 0 && !e.timedOut, "exec into a paused container fails at once: \(e)")
        if !Harness.isReference {
            #expect(e.stderr.contains("is paused; resume it first"), "\(e)")
        }
        let again = try await sb.husk(["pause", id])
        #expect(again.status == 1, "pausing a paused container fails: \(again)")

        let r = try await sb.husk(["resume", id])
        #expect(r.status == 0, "\(r)")
        #expect(try await sb.status(id) == "running")
        let e2 = try await sb.husk(["exec", id, "true"])
        #expect(e2.status == 0, "exec works again after resume: \(e2)")
        let r2 = try await sb.husk(["resume", id])
        #expect(r2.status == 1, "resuming a running container fails: \(r2)")
        if !Harness.isReference { #expect(r2.stderr.contains("not paused"), "\(r2)") }
    }

    @Test func pauseOfAStoppedContainerFails() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["true"] }
        let id = sb.newID("pstop")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.waitForStatus(id, "stopped") == "stopped")
        let p = try await sb.husk(["pause", id])
        #expect(p.status == 1, "\(p)")
        if !Harness.isReference { #expect(p.stderr.contains("not running"), "\(p)") }
        let r = try await sb.husk(["resume", id])
        #expect(r.status == 1, "\(r)")
    }

    @Test func sigkillKillsAPausedContainer() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await Self.sleeper(sb, "pkill")
        #expect(try await sb.husk(["pause", id]).status == 0)
        let k = try await sb.husk(["kill", id, "KILL"], timeout: 10)
        #expect(k.status == 0, "\(k)")
        #expect(try await sb.waitForStatus(id, "stopped", timeout: 10) == "stopped")
        let d = try await sb.husk(["delete", id])
        #expect(d.status == 0, "\(d)")
    }

    @Test func deleteForceOfAPausedContainerDoesNotHang() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            // Processes besides init, and no pid namespace: every one must be thawed to die.
            $0.removeNamespace("pid")
            $0.shell("sleep 60 & sleep 60 & sleep 60")
        }
        let id = sb.newID("pdel")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await sb.husk(["pause", id]).status == 0)
        let d = try await sb.husk(["delete", "--force", id], timeout: 15)
        #expect(d.status == 0 && !d.timedOut, "\(d)")
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }
}
