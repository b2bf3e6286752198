// exec: a new process joins a running container's namespaces and security settings.
import Foundation
import Testing

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct ExecTests {
    /// A detached container running `sleep 60`, for exec to join.
    private func running(_ sb: Sandbox) async throws -> String {
        let b = try sb.bundle {
            $0.args = ["sleep", "60"]
            $0.json["hostname"] = "exec-host"
        }
        let id = sb.newID("exec")
        let r = try await sb.husk(["run", "-d", "--bundle", b.path, id])
        #expect(r.status == 0, "\(r)")
        return id
    }

    @Test func joinsNamespacesAndReturnsExitCode() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await running(sb)
        let initPid = try #require(try await sb.state(id)?["pid"] as? Int)
        let r = try await sb.husk(["exec", id, "sh", "-c", "hostname; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; exit 5"])
        #expect(r.status == 5, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "exec-host")
        for (i, ns) in ["pid", "mnt"].enumerated() where lines.count > i + 1 {
            let want = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(initPid)/ns/\(ns)")
            #expect(lines[i + 1] == want, "exec'd process is in the container's \(ns) namespace")
        }
    }

    /// containerd's default spec lists "mount" before "network": exec must open every
    /// /proc/PID/ns/* before joining the mount namespace, where the host's PID is not in /proc.
    @Test func joinsWhenMountIsListedBeforeOtherNamespaces() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.args = ["sleep", "60"]
            $0.json["hostname"] = "mount-first"
            $0.namespaces = ["pid", "ipc", "uts", "mount", "network"].map { ["type": $0] }
        }
        let id = sb.newID("exec-order")
        let run = try await sb.husk(["run", "-d", "--bundle", b.path, id])
        #expect(run.status == 0, "\(run)")
        let initPid = try #require(try await sb.state(id)?["pid"] as? Int)
        let r = try await sb.husk(["exec", id, "sh", "-c", "hostname; readlink /proc/self/ns/net"])
        #expect(r.status == 0, "\(r)")
        let want = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(initPid)/ns/net")
        #expect(r.stdout == "mount-first\n\(want)\n", "\(r)")
    }

    @Test func seesTheContainersRootAndPid() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await running(sb)
        let r = try await sb.husk(["exec", id, "sh", "-c", "echo $$; cat /proc/1/cmdline | tr '\\0' ' '"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(Int(lines.first ?? "") ?? 0 > 1, "a new pid inside the container's pid namespace")
        #expect(lines.last?.hasPrefix("sleep 60") == true, "\(r.stdout)")
    }

    @Test func userEnvCwdFlags() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await running(sb)
        let r = try await sb.husk(["exec", "--user", "65534:65534", "--env", "FOO=bar", "--cwd", "/tmp", id,
                                   "sh", "-c", "id -u; id -g; echo $FOO; pwd"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "65534\n65534\nbar\n/tmp\n", "\(r)")
    }

    @Test func processFileAsConmonSendsIt() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await running(sb)
        let file = sb.dir + "/process.json"
        try sb.writeFile(file, #"{"args":["sh","-c","echo from-process-file; exit 4"],"cwd":"/","env":["PATH=/bin:/usr/bin"],"user":{"uid":0,"gid":0},"extraField":true}"#)
        let r = try await sb.husk(["exec", "--process", file, id])
        #expect(r.status == 4, "\(r)")
        #expect(r.stdout == "from-process-file\n")
    }

    @Test func detachWritesPidFile() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await running(sb)
        let pidFile = sb.dir + "/exec.pid"
        let r = try await sb.husk(["exec", "-d", "--pid-file", pidFile, id, "sleep", "30"])
        #expect(r.status == 0, "\(r)")
        let pid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(pid > 0 && kill(pid, 0) == 0, "the detached process runs")
    }

    @Test(.disabled(if: Harness.isReference, "husk differs from runc: exit 127 for a missing binary"))
    func missingBinaryExits127() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await running(sb)
        let r = try await sb.husk(["exec", id, "no-such-binary"])
        #expect(r.status == 127, "\(r)")
        #expect(r.stderr.contains("no-such-binary"), "\(r)")
    }

    @Test func intoStoppedOrMissingContainerFails() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let missing = try await sb.husk(["exec", "no-such-container-\(getpid())", "true"])
        #expect(missing.status != 0)
        let b = try sb.bundle { $0.args = ["true"] }
        let id = sb.newID("stopped")
        #expect(try await sb.husk(["create", "--bundle", b.path, id]).status == 0)
        #expect(try await sb.husk(["start", id]).status == 0)
        #expect(try await sb.waitForStatus(id, "stopped") == "stopped")
        let r = try await sb.husk(["exec", id, "true"])
        #expect(r.status != 0, "\(r)")
        if !Harness.isReference { #expect(r.stderr.contains("stopped"), "\(r)") }
    }

    @Test(.disabled(if: Harness.isReference, "husk's own check: no handle on the husk binary before execve"))
    func execChildIsNotDumpableBeforeExec() async throws {
        // CVE-2019-5736: while the exec'd child still runs husk's image, no container process
        // may open /proc/PID/exe. After execve the process is dumpable again.
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await running(sb)
        let r = try await sb.husk(["exec", id, "sh", "-c", "grep -c . /proc/self/status >/dev/null && ls -l /proc/self/exe"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("/bin/busybox"), "after execve the exe is the container's binary: \(r.stdout)")
    }

    @Test(.disabled(if: Harness.isReference, "runc 1.1 takes numeric ids only"))
    func userByNameFromTheContainersPasswd() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await running(sb)
        let r = try await sb.husk(["exec", "--user", "tester", id, "sh", "-c", "id -u; id -g"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "1000\n1000\n", "\(r)")
        let g = try await sb.husk(["exec", "--user", "tester:nogroup", id, "id", "-g"])
        #expect(g.status == 0 && g.stdout == "65534\n", "\(g)")
    }

    @Test(.disabled(if: Harness.isReference, "runc 1.1 takes numeric ids only"))
    func unknownUserNameFailsClearly() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let id = try await running(sb)
        let r = try await sb.husk(["exec", "--user", "no-such-user", id, "true"])
        #expect(r.status != 0, "\(r)")
        #expect(r.stderr.contains("no-such-user") && r.stderr.contains("/etc/passwd"), "\(r)")
    }

    /// The name lookup reads the image's /etc/passwd as if the rootfs were "/": a symlink in the
    /// image cannot make husk read (and leak through errors) a host file.
    @Test(.disabled(if: Harness.isReference, "husk's own lookup"))
    func passwdSymlinkStaysInsideTheRootfs() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.args = ["sleep", "60"] }
        let passwd = b.rootfs + "/etc/passwd"
        unlink(passwd)
        #expect(symlink("/etc/host-passwd-\(getpid())", passwd) == 0)
        // On the host that path holds a "root"-like entry with another uid: it must not be used.
        let hostFile = "/etc/host-passwd-\(getpid())"
        try sb.writeFile(hostFile, "tester:x:4242:4242::/:/bin/sh\n")
        defer { unlink(hostFile) }
        let id = sb.newID("pw")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id]).status == 0)
        let r = try await sb.husk(["exec", "--user", "tester", id, "id", "-u"])
        #expect(r.status != 0 && !r.stdout.contains("4242"), "the host's file was not read: \(r)")
    }
}
