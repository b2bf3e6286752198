// SCMP_ACT_NOTIFY: the listener fd and "the container process state" reach the agent at
// linux.seccomp.listenerPath (runtime-spec config-linux.md), and the agent's answers decide
// the notified syscalls. The agent is a python3 script (Support/SeccompAgent.swift).
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .enabled(if: SeccompAgent.available, "needs python3 for the seccomp agent"))
struct SeccompNotifyTests {
    static let metadata = "husk-test-metadata;MKDIR=/ctl/denied"

    static func profile(_ agent: SeccompAgent, _ names: [String]) -> [String: Any] {
        ["defaultAction": "SCMP_ACT_ALLOW",
         "listenerPath": agent.socket,
         "listenerMetadata": metadata,
         "architectures": ["SCMP_ARCH_X86_64"],
         "syscalls": [["names": names, "action": "SCMP_ACT_NOTIFY"]]]
    }

    /// mkdir of /ctl/denied fails with the agent's errno (EXDEV), other mkdirs go on
    /// (SECCOMP_USER_NOTIF_FLAG_CONTINUE); the agent got one fd and the state of a "creating"
    /// container whose pid is init's. With or without no_new_privs (the filter goes in at a
    /// different point), and with syscalls husk's init itself makes after loading the filter
    /// (write, close, wait4, openat, execve) notified too: none of them may wait on a
    /// listener that nobody holds yet.
    @Test(.disabled(if: Harness.isReference, "runc 1.1.5 is not built with notify support here"),
          arguments: [(true, [String]()), (false, [String]()), (true, ["write", "close", "wait4", "openat", "execve"]),
                      (false, ["write", "close", "wait4", "openat", "execve"])])
    func agentAnswersNotifiedSyscalls(noNewPrivileges: Bool, alsoNotified: [String]) async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let agent = try await SeccompAgent.start(in: sb, denyPath: "/ctl/denied", denyErrno: EXDEV)
        var ctl = ""
        let b = try sb.bundle {
            ctl = try sb.controlDir(&$0)
            $0.process["noNewPrivileges"] = noNewPrivileges
            $0.linux["seccomp"] = Self.profile(agent, ["mkdir", "mkdirat"] + alsoNotified)
            $0.shell("mkdir /ctl/denied 2>/ctl/err; echo denied=$? >/ctl/out; mkdir /ctl/allowed && echo allowed=$? >>/ctl/out; echo done >>/ctl/out")
        }
        let id = sb.newID("notify")
        let created = try await sb.husk(["create", "--bundle", b.path, id], timeout: 30)
        #expect(created.status == 0, "\(created)")
        let pid = try await sb.state(id)?["pid"] as? Int
        let state = try #require(await agent.state(0), "the agent got the container process state")
        #expect(agent.fdCount(0) == 1)
        #expect(state["ociVersion"] as? String == "1.0.2")
        #expect(state["fds"] as? [String] == ["seccompFd"])
        #expect(state["pid"] as? Int == pid, "\(state)")
        #expect(state["metadata"] as? String == Self.metadata)
        let inner = try #require(state["state"] as? [String: Any], "\(state)")
        #expect(inner["id"] as? String == id)
        #expect(inner["status"] as? String == "creating")
        #expect(inner["pid"] as? Int == pid)
        #expect(inner["bundle"] as? String == b.path)

        let started = try await sb.husk(["start", id], timeout: 30)
        #expect(started.status == 0, "\(started)")
        #expect(await Harness.poll(timeout: 20) {
            ((try? String(contentsOfFile: ctl + "/out", encoding: .utf8)) ?? "").contains("done")
        })
        let out = (try? String(contentsOfFile: ctl + "/out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: ctl + "/err", encoding: .utf8)) ?? ""
        #expect(out == "denied=1\nallowed=0\ndone\n", "\(out) \(err)")
        #expect(err.contains("cross-device"), "the agent's errno (EXDEV): \(err)")
        #expect(!FileManager.default.fileExists(atPath: ctl + "/denied"))
        #expect(FileManager.default.fileExists(atPath: ctl + "/allowed"))
        // busybox mkdir uses mkdir(2) (83) or mkdirat(2) (258); both paths went to the agent.
        let seen = agent.notified
        #expect(seen.contains { ($0.hasPrefix("0 83 ") || $0.hasPrefix("0 258 ")) && $0.hasSuffix(" /ctl/denied") }, "\(seen)")
        #expect(seen.contains { ($0.hasPrefix("0 83 ") || $0.hasPrefix("0 258 ")) && $0.hasSuffix(" /ctl/allowed") }, "\(seen)")
        if alsoNotified.contains("execve") {
            #expect(seen.contains { $0.hasPrefix("0 59 ") }, "husk's own execve of the container process was notified: \(seen)")
        }
        _ = try await sb.waitForStatus(id, "stopped")
    }

    /// An exec'd process gets its own filter and listener: a second connection, with the
    /// running container's state and the exec'd process's pid.
    @Test(.disabled(if: Harness.isReference, "runc 1.1.5 is not built with notify support here"))
    func execSendsItsOwnListener() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let agent = try await SeccompAgent.start(in: sb, denyPath: "/ctl/denied", denyErrno: EXDEV)
        let b = try sb.bundle {
            _ = try sb.controlDir(&$0)
            $0.linux["seccomp"] = Self.profile(agent, ["mkdir", "mkdirat"])
            $0.args = ["sleep", "30"]
        }
        let id = sb.newID("notify-exec")
        let run = try await sb.husk(["run", "-d", "--bundle", b.path, id], timeout: 30)
        #expect(run.status == 0, "\(run)")
        let initPid = try await sb.state(id)?["pid"] as? Int
        let exec = try await sb.husk(["exec", id, "sh", "-c", "mkdir /ctl/denied 2>&1; echo rc=$?; echo $$"], timeout: 30)
        #expect(exec.status == 0, "\(exec)")
        #expect(exec.stdout.contains("cross-device") && exec.stdout.contains("rc=1"), "\(exec)")
        let state = try #require(await agent.state(1), "a second connection for the exec")
        #expect(agent.fdCount(1) == 1)
        let inner = try #require(state["state"] as? [String: Any], "\(state)")
        #expect(inner["status"] as? String == "running")
        #expect(inner["pid"] as? Int == initPid)
        #expect(state["pid"] as? Int != initPid, "the exec'd process's pid, not init's: \(state)")
    }

    /// A listenerPath with nothing there: a clear error at create naming the field, nothing left.
    @Test(.disabled(if: Harness.isReference, "husk names the field"))
    func missingListenerIsRefusedAtCreate() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let missing = sb.dir + "/no-agent.sock"
        let b = try sb.bundle {
            $0.linux["seccomp"] = ["defaultAction": "SCMP_ACT_ALLOW", "listenerPath": missing,
                                   "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"]]]
            $0.shell("echo container-ran")
        }
        try await BadInputTests.expectCreateFails(sb, b, mentions: ["linux.seccomp.listenerPath", missing])
        // NOTIFY rules without any listenerPath.
        let c = try sb.bundle("no-path") {
            $0.linux["seccomp"] = ["defaultAction": "SCMP_ACT_ALLOW",
                                   "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"]]]
            $0.shell("echo container-ran")
        }
        try await BadInputTests.expectCreateFails(sb, c, mentions: ["linux.seccomp.listenerPath"])
    }

    /// The features document lists SCMP_ACT_NOTIFY among the seccomp actions.
    @Test(.disabled(if: Harness.isReference, "husk's features document"))
    func featuresListNotify() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.huskBare(["features"])
        #expect(r.status == 0, "\(r)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let seccomp = (doc?["linux"] as? [String: Any])?["seccomp"] as? [String: Any]
        #expect(seccomp?["enabled"] as? Bool == true, "\(r.stdout)")
        #expect((seccomp?["actions"] as? [String])?.contains("SCMP_ACT_NOTIFY") == true, "\(r.stdout)")
    }
}
