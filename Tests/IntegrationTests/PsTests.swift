// `husk ps`: the table of containers (with how they exited), and the processes of one container.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .disabled(if: Harness.isReference, "husk ps without an ID (a table of containers) is husk's"))
struct PsTests {
    @Test func tableAndJSON() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let sleeper = try sb.bundle("sleeper") { $0.args = ["sleep", "30"] }
        let quitter = try sb.bundle("quitter") { $0.shell("exit 3") }
        let a = sb.newID("psa"), c = sb.newID("psc")
        #expect(try await sb.husk(["run", "-d", "--bundle", sleeper.path, a]).status == 0)
        #expect(try await sb.husk(["run", "-d", "--bundle", quitter.path, c]).status == 0)
        #expect(try await sb.waitOutput(c) == "3")

        let table = try await sb.husk(["ps"])
        #expect(table.status == 0, "\(table)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first)
        #expect(header.split(separator: " ") == ["ID", "STATUS", "PID", "CREATED", "EXIT", "BUNDLE", "COMMAND"], "\(header)")
        let rowA = try #require(lines.first { $0.hasPrefix(a + " ") })
        #expect(rowA.contains(" running ") && rowA.hasSuffix("sleep 30") && rowA.contains(sleeper.path), "\(rowA)")
        let rowC = try #require(lines.first { $0.hasPrefix(c + " ") })
        #expect(rowC.contains(" stopped ") && rowC.contains(" 3 ") && rowC.hasSuffix("sh -c exit 3"), "\(rowC)")

        let json = try await sb.husk(["ps", "--format", "json"])
        #expect(json.status == 0, "\(json)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: entries.compactMap { e in (e["id"] as? String).map { ($0, e) } })
        #expect(Set(byID.keys) == [a, c])
        #expect(byID[a]?["status"] as? String == "running")
        #expect((byID[a]?["pid"] as? Int ?? 0) > 0)
        #expect(byID[a]?["exit"] is NSNull)
        #expect((byID[c]?["exit"] as? [String: Any])?["exitCode"] as? Int == 3)
        #expect(byID[c]?["command"] as? [String] == ["sh", "-c", "exit 3"])
    }

    @Test func processesOfOneContainer() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        var ctl = ""
        let b = try sb.bundle {
            ctl = try sb.controlDir(&$0)
            $0.shell("sleep 31 & touch /ctl/ready; exec sleep 32")
        }
        let id = sb.newID("psid")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.waitForFile(ctl + "/ready"))
        let initPid = try #require(try await sb.state(id)?["pid"] as? Int)

        let json = try await sb.husk(["ps", "--format", "json", id])
        #expect(json.status == 0, "\(json)")
        let pids = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Int])
        #expect(pids.contains(initPid), "\(pids)")
        #expect(pids.count == 2, "init and the background sleep: \(pids)")

        let table = try await sb.husk(["ps", id])
        #expect(table.status == 0, "\(table)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.contains("PID") == true, "ps -ef header: \(table)")
        #expect(lines.count == 3, "header + 2 processes: \(table)")
        #expect(lines.contains { $0.contains("sleep 31") } && lines.contains { $0.contains("sleep 32") }, "\(table)")

        let custom = try await sb.husk(["ps", id, "-o", "pid,comm"])
        #expect(custom.status == 0, "\(custom)")
        let rows = custom.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ") }
        #expect(Set(rows.compactMap { $0.first.flatMap { Int($0) } }) == Set(pids), "\(custom)")
    }

    @Test func psOfUnknownContainerFails() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.husk(["ps", Harness.uniqueID("nope")])
        #expect(r.status != 0, "\(r)")
        #expect(!r.stderr.isEmpty)
    }
}
