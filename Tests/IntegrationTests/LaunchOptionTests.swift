// Launch options beyond the defaults: time namespace offsets, --no-pivot, --preserve-fds,
// `spec` output that runs as is.
import Foundation
import Testing

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct LaunchOptionTests {
    @Test(.enabled(if: access("/proc/self/ns/time", F_OK) == 0, "needs time namespaces (CONFIG_TIME_NS)"),
          .disabled(if: Harness.isReference, "runc 1.1 has no time namespace support"))
    func timeNamespaceOffsets() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.setNamespace("time")
            var linux = $0.linux
            linux["timeOffsets"] = ["boottime": ["secs": 10_000_000, "nanosecs": 0]]
            $0.linux = linux
            $0.shell("cut -d. -f1 /proc/uptime")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let uptime = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(uptime >= 10_000_000, "boottime offset applied: uptime \(uptime)")
    }

    @Test func noPivotRuns() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("ls /bin/busybox && echo $$") }
        let r = try await sb.run(b, extra: ["--no-pivot"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "/bin/busybox\n1\n", "\(r)")
    }

    @Test(.enabled(if: Harness.python != nil, "needs python3 to pass an extra fd"))
    func preserveFDs() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("cat <&3; ls /proc/$$/fd") }
        let id = sb.newID("fds")
        let script = """
        import os, subprocess, sys
        r, w = os.pipe()
        os.write(w, b"through fd 3\\n"); os.close(w)
        os.dup2(r, 3); os.set_inheritable(3, True)
        p = subprocess.run(sys.argv[1:], pass_fds=(3,), capture_output=True)
        sys.stdout.write(p.stdout.decode()); sys.stderr.write(p.stderr.decode()); sys.exit(p.returncode)
        """
        let r = try await sb.host([Harness.python!, "-c", script, Harness.binary, "--root", sb.stateRoot,
                                   "run", "--preserve-fds", "1", "--bundle", b.path, id])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("through fd 3\n"), "\(r)")
        // busybox sh keeps one fd of its own (4), under runc too; nothing else may leak in.
        let fds = r.stdout.split(separator: "\n").dropFirst().compactMap { Int($0) }
        #expect(fds.contains(3), "\(r.stdout)")
        #expect(fds.allSatisfy { $0 <= 4 }, "only stdio, the preserved fd and the shell's own: \(r.stdout)")
    }

    @Test(.disabled(if: Harness.isReference, "husk's own spec output"))
    func specWritesAConfigThatRuns() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle("spec-bundle")
        unlink(b.configPath)
        let spec = try await sb.huskBare(["spec", "--bundle", b.path])
        #expect(spec.status == 0, "\(spec)")
        let again = try await sb.huskBare(["spec", "--bundle", b.path])
        #expect(again.status != 0, "spec refuses to overwrite config.json")
        // The generated config as is, with a non-interactive command.
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: b.configPath))) as! [String: Any]
        var process = config["process"] as! [String: Any]
        process["terminal"] = false
        process["args"] = ["sh", "-c", "echo spec-ok"]
        config["process"] = process
        try b.writeRaw(String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self))
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "spec-ok\n")
    }

    @Test func featuresIsJSON() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.huskBare(["features"])
        #expect(r.status == 0, "\(r)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(doc?["ociVersionMin"] != nil, "\(r.stdout)")
    }

    // The cwd check against CVE-2024-21626 uses getcwd; it must run before a profile that
    // denies getcwd is loaded (the OCI suite's linux_seccomp does this; runc 1.1 fails it).
    @Test(.disabled(if: Harness.isReference, "runc 1.1 fails when the profile denies getcwd"))
    func seccompDenyingGetcwdStillStarts() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            var linux = $0.linux
            linux["seccomp"] = ["defaultAction": "SCMP_ACT_ALLOW",
                                "syscalls": [["names": ["getcwd"], "action": "SCMP_ACT_ERRNO"]]]
            $0.linux = linux
            var p = $0.process
            p["cwd"] = "/tmp"
            $0.process = p
            $0.shell("echo started")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "started\n", "\(r)")
    }
}
