// husk sandbox under bad input and misbehaving commands: each case exits with its documented
// code, says so in the JSON report, and leaves nothing behind (checked after every run).
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .disabled(if: Harness.isReference, "husk sandbox: runc has no such verb"))
struct SandboxFaultTests {
    /// The sandbox never ran: 125, the report has the error, the state root and tmp dir are empty.
    @Test(arguments: [
        (["--rootfs", "/no/such/rootfs"], "/no/such/rootfs"),
        (["--image", "no/such:image"], "no/such:image"),
        (["--workspace", "/no/such/workspace:/ws"], "/no/such/workspace"),
        (["--memory", "12XB"], "--memory"),
        (["--timeout", "0"], "--timeout"),
        (["--timeout", "0s"], "--timeout"),
        (["--tmpfs", "/t:size=lots"], "--tmpfs"),
    ])
    func setupFailuresAreReported(_ flags: [String], _ mentions: String) async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let storage = try sb.hostDir("store")
        var args = ["--storage", storage, "sandbox", "--name", sb.newID("sbx"), "--tmp-dir", s.tmpDir, "--report", report]
        if !flags.contains("--rootfs") && !flags.contains("--image") { args += ["--rootfs", s.rootfs] }
        let r = try await sb.husk(args + flags + ["--", "true"])
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr.contains(mentions), "\(r)")
        let o = s.report(report)
        #expect(o["exitCode"] as? Int == 125, "\(o)")
        #expect((o["error"] as? String)?.contains(mentions) == true, "\(o)")
        #expect(o["timedOut"] as? Bool == false && o["oomKilled"] as? Bool == false, "\(o)")
        s.expectNothingLeft()
    }

    @Test func commandNotFoundIs127InTheReport() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let r = try await s.run(["--report", report], ["no-such-command"])
        #expect(r.status == 127, "\(r)")
        let o = s.report(report)
        #expect(o["exitCode"] as? Int == 127, "\(o)")
        #expect((o["error"] as? String)?.contains("no-such-command") == true, "\(o)")
    }

    @Test func forkBombIsHeldByThePidsLimit() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let r = try await s.sh("b() { b | b & }; b; sleep 30", ["--pids", "32", "--timeout", "3s", "--grace", "500ms", "--report", report],
                               timeout: 60)
        #expect(!r.timedOut, "\(r)")
        #expect(r.status == 124, "the bomb is contained and the timeout ends it: \(r.status) \(r.stderr.suffix(300))")
        let o = s.report(report)
        #expect(o["timedOut"] as? Bool == true, "\(o)")
        #expect(o["exitCode"] as? Int == 124, "\(o)")
        let peak = o["pidsPeak"] as? Int ?? 0
        #expect(peak > 1 && peak <= 32, "pids peak \(peak) with --pids 32: \(o)")
    }

    @Test func fillingATmpfsIsTheCommandsOwnFailure() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let r = try await s.sh("dd if=/dev/zero of=/small/f bs=64k count=64; echo dd=$?; exit 3", ["--tmpfs", "/small:size=1m", "--report", report])
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("No space left on device"), "\(r)")
        #expect(r.stdout.contains("dd=1"), "\(r)")
        let o = s.report(report)
        #expect(o["exitCode"] as? Int == 3 && o["error"] is NSNull, "\(o)")
        #expect(o["oomKilled"] as? Bool == false && o["timedOut"] as? Bool == false, "\(o)")
    }

    @Test func ignoringSIGTERMEndsInSIGKILLAfterTheGrace() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let started = Date()
        let r = try await s.sh("sh -c 'trap \"\" TERM; sleep 30' & wait", ["--timeout", "1s", "--grace", "1500ms", "--report", report])
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.status == 124, "\(r)")
        #expect(elapsed >= 2.4, "SIGKILL came before timeout + grace: \(elapsed) s")
        #expect(elapsed < 20, "took \(elapsed) s")
        let o = s.report(report)
        #expect(o["timedOut"] as? Bool == true && o["exitCode"] as? Int == 124, "\(o)")
    }

    @Test func theReportHasTheAccounting() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let r = try await s.sh("x=$(head -c 2000000 /dev/zero | tr '\\0' a); i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done", ["--report", report])
        #expect(r.status == 0, "\(r)")
        let o = s.report(report)
        for key in ["durationMs", "cpuUserMs", "cpuSystemMs", "memoryPeakBytes", "pidsPeak", "ioReadBytes", "ioWriteBytes", "pressure", "error"] {
            #expect(o.keys.contains(key), "missing \(key): \(o)")
        }
        #expect((o["cpuUserMs"] as? Int ?? 0) + (o["cpuSystemMs"] as? Int ?? 0) > 0, "\(o)")
        #expect((o["memoryPeakBytes"] as? Int ?? 0) > 1_000_000, "\(o)")
        #expect((o["pidsPeak"] as? Int ?? 0) >= 1, "\(o)")
        // PSI exists per cgroup only on cgroup v2 (or in the v2 directory of a hybrid host).
        if let p = o["pressure"] as? [String: Any] {
            #expect(p["cpu"] != nil || p["memory"] != nil || p["io"] != nil, "\(p)")
        }
    }
}

/// `--image`: a busybox image (one layer, Env and WorkingDir in its config) made with tar and
/// sha256sum, imported into a private store.
@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .disabled(if: Harness.isReference, "husk sandbox: runc has no such verb"))
struct SandboxImageTests {
    /// Writes an OCI layout of `rootfs` named `name` and imports it into `storage`.
    static func importImage(_ sb: Sandbox, rootfs: String, name: String, storage: String) async throws {
        let layout = try sb.hostDir("layout")
        let blobs = layout + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        func sha(_ path: String) async throws -> String {
            let r = try await sb.host(["/usr/bin/sha256sum", path])
            return String(r.stdout.prefix(64))
        }
        func blob(_ data: Data) async throws -> (String, Int) {
            let tmp = layout + "/tmp-blob"
            try data.write(to: URL(fileURLWithPath: tmp))
            let d = try await sha(tmp)
            try FileManager.default.moveItem(atPath: tmp, toPath: blobs + "/" + d)
            return (d, data.count)
        }
        let tar = layout + "/layer.tar"
        let t = try await sb.host(["/usr/bin/tar", "-C", rootfs, "--numeric-owner", "-cf", tar, "."])
        #expect(t.status == 0, "\(t)")
        let layer = try await blob(Data(contentsOf: URL(fileURLWithPath: tar)))
        try FileManager.default.removeItem(atPath: tar)
        let config = try await blob(JSONSerialization.data(withJSONObject: [
            "architecture": "amd64", "os": "linux",
            "config": ["Env": ["PATH=/bin:/sbin", "FROM_IMAGE=yes"], "WorkingDir": "/etc"],
            "rootfs": ["type": "layers", "diff_ids": ["sha256:" + layer.0]],
        ]))
        let manifest = try await blob(JSONSerialization.data(withJSONObject: [
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + config.0, "size": config.1],
            "layers": [["mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + layer.0, "size": layer.1]],
        ]))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
        try JSONSerialization.data(withJSONObject: ["schemaVersion": 2, "manifests": [[
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + manifest.0, "size": manifest.1,
            "annotations": ["org.opencontainers.image.ref.name": name],
        ]]]).write(to: URL(fileURLWithPath: layout + "/index.json"))
        let r = try await sb.husk(["--storage", storage, "image", "import", layout])
        #expect(r.status == 0, "\(r)")
    }

    @Test func runsFromAnImageAndDiscardsChanges() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let storage = try sb.hostDir("store")
        try await Self.importImage(sb, rootfs: s.rootfs, name: "sbx/busybox:1", storage: storage)
        func run(_ script: String, _ extra: [String] = []) async throws -> CommandResult {
            let r = try await sb.husk(["--storage", storage, "sandbox", "--name", sb.newID("sbx"), "--tmp-dir", s.tmpDir,
                                       "--image", "sbx/busybox:1"] + extra + ["--", "sh", "-c", script])
            s.expectNothingLeft()
            return r
        }
        let report = sb.dir + "/report.json"
        let first = try await run("echo $FROM_IMAGE $(pwd); echo changed > /etc/passwd; touch /new", ["--report", report])
        #expect(first.status == 0 && first.stdout == "yes /etc\n", "\(first)")
        #expect(s.report(report)["image"] as? String == "sbx/busybox:1", "\(s.report(report))")
        let second = try await run("test ! -e /new && ! grep -q changed /etc/passwd && echo clean")
        #expect(second.stdout == "clean\n", "the image's snapshot kept a change: \(second)")
        // Command-line values win over the image's.
        let override = try await run("echo $FROM_IMAGE $(pwd)", ["--env", "FROM_IMAGE=no", "--workdir", "/tmp"])
        #expect(override.stdout == "no /tmp\n", "\(override)")
        // --rootfs and --image together are a usage error.
        let both = try await sb.husk(["--storage", storage, "sandbox", "--tmp-dir", s.tmpDir, "--image", "sbx/busybox:1",
                                      "--rootfs", s.rootfs, "--", "true"])
        #expect(both.status == 125 && both.stderr.contains("--image"), "\(both)")
    }
}
