// husk sandbox's guarantees: a SIGKILLed husk still leaves nothing behind (its watcher cleans
// up), `--gc` removes what crashed sandboxes left and never a live one, twenty sandboxes at once
// all finish with their own reports, and two sandboxes cannot see each other.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension SandboxRunner {
    /// owner.json of a running sandbox: its husk's and its watcher's PIDs.
    func owner(_ id: String) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: tmpDir + "/" + id + "/owner.json"),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return o
    }

    /// Nothing of sandbox `id` is left: state dir, sandbox dir, mounts, cgroups, processes.
    func isGone(_ id: String) -> Bool {
        let fm = FileManager.default
        if fm.fileExists(atPath: sb.stateRoot + "/" + id) || fm.fileExists(atPath: tmpDir + "/" + id) { return false }
        if Sandbox.hostMountinfo().contains(where: { $0.contains(tmpDir + "/" + id) }) { return false }
        for controller in ["pids", "freezer", "cpu", "blkio", "devices"] where fm.fileExists(atPath: "/sys/fs/cgroup/\(controller)/\(id)") {
            return false
        }
        return !Sandbox.allPids().contains { pid in
            guard !Sandbox.isZombie(pid), let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
            return cmd.contains(id) || (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/root"))?.contains(id) == true
        }
    }

    /// `husk sandbox --name ID … -- CMD` in the background, once its command runs.
    func start(_ id: String, _ options: [String], _ command: [String]) async throws -> Child {
        let child = try sb.startHusk(["sandbox", "--name", id, "--tmp-dir", tmpDir, "--rootfs", rootfs] + options + ["--"] + command)
        let running = await Harness.poll(timeout: 15) {
            FileManager.default.fileExists(atPath: sb.stateRoot + "/" + id + "/state.json")
                && !FileManager.default.fileExists(atPath: sb.stateRoot + "/" + id + "/exec.fifo")
        }
        #expect(running, "sandbox \(id) did not start")
        return child
    }
}

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .disabled(if: Harness.isReference, "husk sandbox: runc has no such verb"))
struct SandboxGuaranteeTests {
    @Test func sigkillOfHuskStillRemovesEverything() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let id = sb.newID("sbx")
        // Two processes, one of them ignoring SIGTERM: only a cgroup-wide SIGKILL ends them.
        let child = try await s.start(id, ["--memory", "64m"], ["sh", "-c", "sh -c 'trap \"\" TERM; sleep 60' & sleep 60"])
        let watcher = s.owner(id)["watcherPid"] as? Int ?? 0
        #expect(watcher > 0 && kill(Int32(watcher), 0) == 0, "no live watcher in owner.json: \(s.owner(id))")
        kill(child.pid, SIGKILL)
        _ = await child.wait(timeout: 10)
        let gone = await Harness.poll(timeout: 10) { s.isGone(id) }
        #expect(gone, "left after SIGKILL of husk: state \(FileManager.default.fileExists(atPath: sb.stateRoot + "/" + id)), dir \(FileManager.default.fileExists(atPath: s.tmpDir + "/" + id))")
        #expect(await Sandbox.waitGone(watcher, timeout: 10), "the watcher stayed")
        s.expectNothingLeft()
    }

    @Test func aNormalEndTakesTheWatcherAlong() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let id = sb.newID("sbx")
        let r = try await sb.husk(["sandbox", "--name", id, "--tmp-dir", s.tmpDir, "--rootfs", s.rootfs, "--", "sh", "-c", "sleep 0.2"])
        #expect(r.status == 0, "\(r)")
        // husk kills and reaps its watcher (a fork with husk's own command line) before it
        // exits: the moment husk is gone, no process of this sandbox is left.
        let left = Sandbox.allPids().filter { pid in
            !Sandbox.isZombie(pid) && ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.contains(id) ?? false)
        }
        #expect(left.isEmpty, "outlived husk: \(left)")
        s.expectNothingLeft()
    }

    @Test func gcCleansCrashedSandboxesAndSparesLiveOnes() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        // A crash: husk and its watcher SIGKILLed together; the command keeps running.
        let dead = sb.newID("sbx")
        let crashed = try await s.start(dead, [], ["sleep", "60"])
        let watcher = s.owner(dead)["watcherPid"] as? Int ?? 0
        #expect(watcher > 0)
        kill(Int32(watcher), SIGKILL)
        kill(crashed.pid, SIGKILL)
        _ = await crashed.wait(timeout: 10)
        #expect(await Sandbox.waitGone(watcher))
        #expect(FileManager.default.fileExists(atPath: sb.stateRoot + "/" + dead + "/state.json"), "nothing left to collect: the test faked no crash")
        // A live sandbox beside it.
        let live = sb.newID("sbx")
        let running = try await s.start(live, ["--grace", "500ms"], ["sleep", "60"])

        let gc = try await sb.husk(["sandbox", "--gc", "--tmp-dir", s.tmpDir])
        #expect(gc.status == 0, "\(gc)")
        #expect(gc.stdout.contains(dead), "\(gc)")
        #expect(!gc.stdout.contains(live), "gc touched the live sandbox: \(gc)")
        #expect(s.isGone(dead), "gc left the crashed sandbox")
        #expect(FileManager.default.fileExists(atPath: sb.stateRoot + "/" + live + "/state.json"), "the live sandbox lost its state")
        #expect(kill(running.pid, 0) == 0, "the live sandbox's husk died")
        // A second gc finds nothing.
        let again = try await sb.husk(["sandbox", "--gc", "--tmp-dir", s.tmpDir])
        #expect(again.status == 0 && again.stdout.isEmpty, "\(again)")

        kill(running.pid, SIGTERM)
        let r = await running.wait(timeout: 20)
        #expect(!r.timedOut, "\(r)")
        s.expectNothingLeft()
    }

    @Test func twentyAtOnce() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let count = 20
        let started = Date()
        let results = try await withThrowingTaskGroup(of: (Int, CommandResult).self) { group in
            for i in 0..<count {
                group.addTask {
                    let report = sb.dir + "/report-\(i).json"
                    let r = try await s.sh("echo job \(i); sleep 0.3; exit \(i + 1)", ["--memory", "64m", "--pids", "64", "--report", report],
                                           timeout: 120, alone: false)
                    return (i, r)
                }
            }
            var out: [(Int, CommandResult)] = []
            for try await r in group { out.append(r) }
            return out
        }
        let elapsed = Date().timeIntervalSince(started)
        print("husk sandbox: \(count) sandboxes in parallel took \(String(format: "%.1f", elapsed)) s")
        #expect(results.count == count)
        for (i, r) in results {
            let report = s.report(sb.dir + "/report-\(i).json")
            #expect(r.status == Int32(i + 1), "job \(i): \(r)")
            #expect(r.stdout == "job \(i)\n", "job \(i): \(r)")
            #expect(report["exitCode"] as? Int == i + 1, "job \(i): \(report)")
            #expect(report["timedOut"] as? Bool == false && report["oomKilled"] as? Bool == false, "job \(i): \(report)")
            #expect((report["durationMs"] as? Int ?? 0) >= 300, "job \(i): \(report)")
        }
        // Generous for a loaded 2-core CI machine (measured: a few seconds when idle).
        #expect(elapsed < 90, "20 sandboxes took \(elapsed) s")
        s.expectNothingLeft()
    }

    @Test func twoSandboxesCannotSeeEachOther() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let wsA = try sb.hostDir("wsA")
        let wsB = try sb.hostDir("wsB")
        try sb.writeFile(wsA + "/secret", "a's workspace\n")
        // A: a file in its root, one in its workspace, a TCP listener on loopback, then waits.
        let a = sb.newID("sbx")
        let childA = try await s.start(a, ["--workspace", "\(wsA):/ws", "--grace", "500ms"],
                                       ["sh", "-c", "echo a > /marker-a; nc -ll -p 7777 -e true & sleep 0.3; "
                                        + "nc -w 2 127.0.0.1 7777 </dev/null && touch /ws/ready; sleep 60"])
        #expect(await Harness.poll(timeout: 10) { FileManager.default.fileExists(atPath: wsA + "/ready") },
                "A could not reach its own loopback listener")
        // A reached its own listener on 127.0.0.1 (ready). B, meanwhile, sees none of it, and its
        // failure to connect is isolation, not a dead listener.
        let b = try await s.sh("""
            test ! -e /marker-a || { echo sees a root; exit 1; }
            test ! -e /ws/secret || { echo sees a workspace; exit 1; }
            find / -xdev -name secret 2>/dev/null | grep -q . && { echo finds the secret; exit 1; }
            n=$(ls -d /proc/[0-9]* | wc -l); [ "$n" -le 4 ] || { echo sees $n processes; ls /proc; exit 1; }
            grep -l 'nc' /proc/[0-9]*/comm 2>/dev/null | grep -q . && { echo sees a nc; exit 1; }
            if echo hi | nc -w 1 127.0.0.1 7777; then echo reaches a listener; exit 1; fi
            echo isolated
            """, ["--workspace", "\(wsB):/ws"], alone: false)
        #expect(b.status == 0 && b.stdout.hasSuffix("isolated\n"), "\(b)")
        let stillA = try await sb.host(["/bin/sh", "-c", "ls \(s.tmpDir)/\(a)/upper/marker-a"])
        #expect(stillA.status == 0, "A's own change is in A's upper dir: \(stillA)")
        kill(childA.pid, SIGTERM)
        _ = await childA.wait(timeout: 20)
        s.expectNothingLeft()
    }
}
