// husk as containerd's runtime: containerd 1.6's `io.containerd.runc.v2` shim runs HUSK_BINARY
// (`ctr run --runc-binary`) in a private containerd started once for the suite (see
// Support/ContainerdSandbox.swift). Run against runc (HUSK_BINARY=$(which runc)) to tell husk
// bugs from host limits. The shim's runtime command lines and errors are in containerd's log.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: Containerd.available, Containerd.requirement), .privateContainerd)
struct ContainerdTests {
    private var sb: ContainerdSandbox {
        get throws { try #require(Containerd.current, "the suite's containerd") }
    }

    private func newID(_ label: String) -> String {
        "\(label)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    @Test func runOutputAndExitCodes() async throws {
        let sb = try sb
        let id = newID("run")
        let r = try await sb.run(["--rm"], id, ["sh", "-c", "echo out; echo err >&2; exit 7"])
        #expect(r.status == 7, "\(r)")
        #expect(r.stdout == "out\n", "\(r)")
        #expect(r.stderr.contains("err"), "\(r)")
        #expect(!sb.runtimeStateExists(id), "--rm deleted the runtime's state")

        let ok = try await sb.run(["--rm", "--env", "FOO=bar baz", "--cwd", "/tmp"], newID("run"),
                                  ["sh", "-c", "echo \"$FOO\" $(pwd) $$ $(hostname)"])
        #expect(ok.status == 0, "\(ok)")
        let words = ok.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(words.count == 5 && words[0] == "bar" && words[1] == "baz" && words[2] == "/tmp", "\(ok)")
        #expect(words.count == 5 && words[3] == "1", "PID 1 in its own pid namespace: \(ok)")

        // The runtime's error reaches the user through the shim (the runtime's --log JSON).
        let missingID = newID("run")
        let missing = try await sb.run(["--rm"], missingID, ["no-such-command"])
        #expect(missing.status != 0, "\(missing)")
        #expect(missing.stderr.contains("no-such-command"), "the error names the command: \(missing)")
        sb.remove(missingID)
        #expect(!sb.runtimeStateExists(missingID), "a failed create left no runtime state")
    }

    @Test func detachedExecPsKillDelete() async throws {
        let sb = try sb
        let id = newID("exec")
        defer { sb.remove(id) }
        let run = try await sb.run(["-d"], id, ["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.1; done"])
        #expect(run.succeeded, "\(run)")
        #expect(try await sb.taskStatus(id) == "RUNNING")

        let exec = try await sb.exec(id, "e1", [], ["sh", "-c", "echo in exec; cat /proc/1/cmdline | tr '\\0' ' '; exit 3"])
        #expect(exec.status == 3, "\(exec)")
        #expect(exec.stdout.hasPrefix("in exec\nsh -c trap"), "exec joined the container (its PID 1): \(exec)")
        let user = try await sb.exec(id, "e2", ["--user", "65534", "--cwd", "/tmp"], ["sh", "-c", "echo $(id -u) $(pwd)"])
        #expect(user.status == 0 && user.stdout == "65534 /tmp\n", "\(user)")
        let missing = try await sb.exec(id, "e3", [], ["no-such-command"])
        #expect(missing.status != 0 && missing.stderr.contains("no-such-command"), "\(missing)")

        // `ctr task ps` is the runtime's `ps --format json`.
        let ps = try await sb.ctr(["task", "ps", id])
        #expect(ps.succeeded && ps.stdout.split(separator: "\n").count >= 2, "\(ps)")

        let pause = try await sb.ctr(["task", "pause", id])
        #expect(pause.succeeded, "\(pause)")
        #expect(try await sb.taskStatus(id) == "PAUSED")
        let resume = try await sb.ctr(["task", "resume", id])
        #expect(resume.succeeded, "\(resume)")
        #expect(try await sb.taskStatus(id) == "RUNNING")

        // SIGTERM reaches PID 1's trap.
        let kill = try await sb.ctr(["task", "kill", "-s", "SIGTERM", id])
        #expect(kill.succeeded, "\(kill)")
        let stopped = await Harness.poll(timeout: 10) { (try? await sb.taskStatus(id)) == "STOPPED" }
        #expect(stopped, "the task stopped after SIGTERM")
        let delete = try await sb.ctr(["task", "delete", id])
        #expect(delete.succeeded, "\(delete)")
        #expect(delete.stdout.contains("42") || delete.stderr.contains("42"), "exit status 42 reported: \(delete)")
        #expect(!sb.runtimeStateExists(id), "task delete ran the runtime's delete")
        #expect(sb.cgroupFile("memory", id, "tasks") == nil && sb.cgroupFile("pids", id, "tasks") == nil,
                "the container's cgroup is gone")
        let rm = try await sb.ctr(["container", "rm", id])
        #expect(rm.succeeded, "\(rm)")
    }

    @Test func killWithSIGKILL() async throws {
        let sb = try sb
        let id = newID("kill")
        defer { sb.remove(id) }
        let run = try await sb.run(["-d"], id, ["sleep", "1000"])
        #expect(run.succeeded, "\(run)")
        let kill = try await sb.ctr(["task", "kill", "-s", "SIGKILL", id])
        #expect(kill.succeeded, "\(kill)")
        let stopped = await Harness.poll(timeout: 10) { (try? await sb.taskStatus(id)) == "STOPPED" }
        #expect(stopped)
        let delete = try await sb.ctr(["task", "delete", id])
        #expect(delete.succeeded && (delete.stdout + delete.stderr).contains("137"), "\(delete)")
        #expect(!sb.runtimeStateExists(id))
    }

    @Test func memoryAndCPULimits() async throws {
        let sb = try sb
        let id = newID("limits")
        defer { sb.remove(id) }
        let limit = 32 * 1024 * 1024
        let run = try await sb.run(["-d", "--memory-limit", "\(limit)", "--cpus", "0.5"], id, ["sleep", "1000"])
        #expect(run.succeeded, "\(run)")

        // From the host: the limit files of the container's cgroup.
        let mem = try #require(sb.cgroupFile("memory", id, "memory.limit_in_bytes") ?? sb.cgroupFile("memory", id, "memory.max"))
        #expect(try String(contentsOfFile: mem, encoding: .utf8) == "\(limit)\n")
        if let quota = sb.cgroupFile("cpu", id, "cpu.cfs_quota_us") {
            #expect(try String(contentsOfFile: quota, encoding: .utf8) == "50000\n")
        }
        // From inside: the process sits in that cgroup, and growing beyond the limit is OOM-killed.
        let cg = try await sb.exec(id, "cg", [], ["cat", "/proc/self/cgroup"])
        #expect(cg.status == 0 && cg.stdout.contains(sb.cgroupPath(id)), "\(cg)")
        let small = try await sb.exec(id, "small", [], ["sh", "-c", "x=$(head -c 4000000 /dev/zero | tr '\\0' a); echo ${#x}"])
        #expect(small.status == 0 && small.stdout == "4000000\n", "\(small)")
        let big = try await sb.exec(id, "big", [], ["sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x}"],
                                    timeout: 60)
        #expect(big.status == 137, "allocating 100 MB under a 32 MiB limit is OOM-killed: \(big)")
        #expect(try await sb.taskStatus(id) == "RUNNING", "PID 1 survives the exec's OOM kill")
    }
}
