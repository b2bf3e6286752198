// The supervisor under load and in hard conditions: many detached containers at once, a full
// disk under container.log, and the memory a supervisor keeps while its container runs.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .disabled(if: Harness.isReference, "husk's supervisor: runc has none"))
struct SupervisorScaleTests {
    /// 50 containers run detached at once; each exit code is recorded where it belongs.
    @Test func fiftyDetachedContainersRecordTheirOwnExitCodes() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let count = 50
        let ctl = try sb.hostDir("ctl")
        var bundles: [TestBundle] = []
        for i in 0..<count {
            // Every container waits for the go file, so all 50 are alive together.
            bundles.append(try sb.bundle("b\(i)") {
                $0.addMount(destination: "/ctl", type: "bind", source: ctl, options: ["rbind", "ro"])
                $0.shell("while [ ! -e /ctl/go ]; do sleep 0.05; done; exit \(i + 1)")
            })
        }
        let ids = (0..<count).map { sb.newID("many\($0)") }
        let paths = bundles.map(\.path)
        // Ten CLIs at a time: the state root's lock and the cgroup tree see real concurrency.
        for batch in stride(from: 0, to: count, by: 10) {
            try await withThrowingTaskGroup(of: (Int, CommandResult).self) { group in
                for i in batch..<min(batch + 10, count) {
                    group.addTask { (i, try await sb.husk(["run", "-d", "--bundle", paths[i], ids[i]], timeout: 60)) }
                }
                for try await (i, r) in group { #expect(r.status == 0, "container \(i): \(r)") }
            }
        }
        let list = try await sb.husk(["list", "--format", "json"])
        let entries = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(entries.filter { $0["status"] as? String == "running" }.count == count, "\(list)")
        let supervisors = Set(ids.compactMap { sb.supervisorPid($0) })
        #expect(supervisors.count == count, "one supervisor per container")

        try "".writeFile(ctl + "/go")
        for (i, id) in ids.enumerated() {
            #expect(try await sb.waitOutput(id, timeout: 60) == String(i + 1), "container \(i)")
        }
        let ps = try await sb.husk(["ps", "--format", "json"])
        let rows = try JSONSerialization.jsonObject(with: Data(ps.stdout.utf8)) as? [[String: Any]] ?? []
        for (i, id) in ids.enumerated() {
            let row = rows.first { $0["id"] as? String == id }
            #expect(row?["status"] as? String == "stopped", "\(id): \(String(describing: row))")
            let exit = row?["exit"] as? [String: Any]
            #expect(exit?["exitCode"] as? Int == i + 1, "\(id): \(String(describing: row))")
        }
        for id in ids { #expect(try await sb.husk(["delete", id]).status == 0) }
        for pid in supervisors { #expect(await Sandbox.waitGone(Int(pid)), "supervisor \(pid) left") }
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }

    /// container.log on a full disk: the container keeps running, output is dropped rather than
    /// blocking it, and once space returns the log says how many bytes were lost.
    @Test func fullDiskDropsOutputAndReportsTheLoss() async throws {
        let sb = try Sandbox()
        try FileManager.default.createDirectory(atPath: sb.stateRoot, withIntermediateDirectories: true)
        #expect(mount("tmpfs", sb.stateRoot, "tmpfs", 0, "size=2m,mode=0711") == 0, "mount tmpfs: \(errno)")
        // Long lines: on a loaded machine the loop may run only a few times a second, and the
        // checks below need kilobytes of output within their timeouts.
        let pad = String(repeating: "x", count: 400)
        let b = try sb.bundle { $0.shell("i=0; while :; do echo line $i \(pad); i=$((i+1)); sleep 0.01; done") }
        let id = sb.newID("diskfull")
        defer {
            // The state root is the tmpfs: delete first, then unmount, then the usual checks.
            if let c = try? Child([Harness.binary, "--root", sb.stateRoot, "delete", "--force", id], outputDir: sb.ioDir) {
                _ = c.waitSync(timeout: 15)
            }
            umount2(sb.stateRoot, Int32(MNT_DETACH))
            sb.cleanup()
        }
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        let log = sb.stateFile(id, "container.log")
        let size = { ((try? FileManager.default.attributesOfItem(atPath: log))?[.size] as? Int) ?? -1 }
        #expect(await Harness.poll(timeout: 10) { size() > 0 }, "output reaches container.log")

        // Fill the filesystem (dd stops at ENOSPC).
        let filler = sb.stateRoot + "/filler"
        _ = try await sb.host(["/bin/dd", "if=/dev/zero", "of=" + filler, "bs=4k"])
        let full = size()
        try await Task.sleep(for: .milliseconds(800))
        #expect(try await sb.status(id) == "running", "the container is not blocked or killed by a full log")
        #expect(size() <= full + 4096, "nothing more fits: \(full) → \(size())")

        unlink(filler)
        #expect(await Harness.poll(timeout: 30) { size() > full + 4096 }, "logging resumes once there is space")
        let logs = try await sb.husk(["logs", id])
        let dropped = logs.stdout + logs.stderr
        #expect(dropped.contains("bytes of output were dropped"), "the loss is reported: \(logs.stderr.suffix(300))")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let note = text.split(separator: "\n").first { $0.contains("\"stream\":\"husk\"") }
        #expect(note?.contains("\"dropped\":") == true, "a husk entry counts the dropped bytes: \(String(describing: note))")

        #expect(try await sb.husk(["kill", id, "KILL"]).status == 0)
        #expect(try await sb.waitOutput(id) == "137")
    }

    /// A supervisor keeps little memory while its container runs (issue target: ≤ 2 MiB RSS).
    @Test func supervisorStaysSmall() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("i=0; while [ $i -lt 2000 ]; do echo line $i; echo err $i >&2; i=$((i+1)); sleep 0.01; done") }
        let id = sb.newID("rss")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        let sup = try #require(sb.supervisorPid(id))
        try await Task.sleep(for: .milliseconds(1500))  // it has been logging a while
        let status = (try? String(contentsOfFile: "/proc/\(sup)/status", encoding: .utf8)) ?? ""
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? -1
        print("supervisor RSS: \(rss) KiB")
        #expect(rss > 0 && rss <= 2048, "supervisor RSS \(rss) KiB")
        #expect(try await sb.husk(["delete", "--force", id]).status == 0)
    }
}
