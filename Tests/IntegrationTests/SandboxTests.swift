// `husk sandbox`: one command in a throw-away container (overlay root, limits, timeout, report),
// with nothing left behind: no state dir, cgroup, mount, process or temporary dir.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One test's sandbox runs: a busybox rootfs (the harness's bundle, used only as the lower layer),
/// a private --tmp-dir, container IDs the harness cleans up and checks.
struct SandboxRunner {
    let sb: Sandbox
    let rootfs: String
    let tmpDir: String

    init(_ sb: Sandbox) throws {
        self.sb = sb
        rootfs = try sb.bundle().rootfs
        tmpDir = sb.dir + "/sandboxes"
    }

    init(sb: Sandbox, rootfs: String, tmpDir: String) {
        self.sb = sb
        self.rootfs = rootfs
        self.tmpDir = tmpDir
    }

    /// `husk sandbox --name ID --tmp-dir … --rootfs … OPTIONS -- CMD…`.
    /// `alone`: no other sandbox of this runner is running, so nothing may be left afterwards.
    func run(_ options: [String], _ command: [String], stdin: String = "/dev/null", timeout: Double = 30,
             alone: Bool = true) async throws -> CommandResult {
        let id = sb.newID("sbx")
        let r = try await sb.husk(["sandbox", "--name", id, "--tmp-dir", tmpDir, "--rootfs", rootfs] + options + ["--"] + command,
                                  stdin: stdin, timeout: timeout)
        if alone { expectNothingLeft() }
        return r
    }

    func sh(_ script: String, _ options: [String] = [], timeout: Double = 30, alone: Bool = true) async throws -> CommandResult {
        try await run(options, ["sh", "-c", script], timeout: timeout, alone: alone)
    }

    /// Beyond the harness's checks (state dirs, cgroups, mounts, processes rooted in the bundle):
    /// the temporary dir is empty and no process has its root in it.
    func expectNothingLeft(sourceLocation: SourceLocation = #_sourceLocation) {
        let left = (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? []
        #expect(left.isEmpty, "left in \(tmpDir): \(left)", sourceLocation: sourceLocation)
        let rooted = Sandbox.allPids().filter { pid in
            guard let root = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/root") else { return false }
            return root.hasPrefix(tmpDir)
        }
        #expect(rooted.isEmpty, "processes rooted in \(tmpDir): \(rooted)", sourceLocation: sourceLocation)
        let mounts = Sandbox.hostMountinfo().filter { $0.contains(tmpDir) }
        #expect(mounts.isEmpty, "mounts: \(mounts)", sourceLocation: sourceLocation)
    }

    func report(_ path: String) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path),
              let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return o
    }
}

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .disabled(if: Harness.isReference, "husk sandbox: runc has no such verb"))
struct SandboxTests {
    @Test func passesOutputAndTheExitCode() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let r = try await s.sh("echo out; echo err >&2; exit 7")
        #expect(r.status == 7, "\(r)")
        #expect(r.stdout == "out\n", "\(r)")
        #expect(r.stderr.contains("err\n"), "\(r)")
        let ok = try await s.run([], ["true"])
        #expect(ok.status == 0, "\(ok)")
        // (init, pid 1 of its namespace, cannot SIGKILL itself: a child does.)
        let killed = try await s.sh("sh -c 'kill -9 $$'; exit $?")
        #expect(killed.status == 137, "\(killed)")
        let missing = try await s.run([], ["/no/such/program"])
        #expect(missing.status == 127, "\(missing)")
    }

    /// The default profile is in place with no_new_privs (init loads it before `start`, while
    /// create records the container); a program it cannot exec is still 127.
    @Test func seccompAndNoNewPrivsAreInPlace() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let r = try await s.sh("grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs):' /proc/self/status")
        #expect(r.status == 0, "\(r)")
        let fields = Dictionary(r.stdout.split(separator: "\n").map { line in
            let kv = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            return (kv[0], kv.count > 1 ? kv[1] : "")
        }, uniquingKeysWith: { a, _ in a })
        #expect(fields["Seccomp"] == "2" && fields["Seccomp_filters"] == "1" && fields["NoNewPrivs"] == "1", "\(fields)")
        let missing = try await s.run([], ["/no/such/program"])
        #expect(missing.status == 127 && missing.stderr.contains("/no/such/program"), "\(missing)")
    }

    /// husk itself starts the sandbox it created: init waits on the sync socket, so the state
    /// dir never gets an exec.fifo, and the container reads as running.
    @Test func startsWithoutAnExecFifo() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let id = sb.newID("nofifo")
        // The command runs until the test, done looking, drops a file in its workspace.
        let ws = sb.dir + "/ws"
        try FileManager.default.createDirectory(atPath: ws, withIntermediateDirectories: true)
        let child = try sb.startHusk(["sandbox", "--name", id, "--tmp-dir", s.tmpDir, "--rootfs", s.rootfs, "--timeout", "20s",
                                      "--workspace", ws + ":/ws", "--", "sh", "-c", "until [ -e /ws/done ]; do sleep 0.05; done"])
        let dir = sb.stateRoot + "/" + id
        #expect(await Harness.poll(timeout: 15) { FileManager.default.fileExists(atPath: dir + "/state.json") })
        #expect(!FileManager.default.fileExists(atPath: dir + "/exec.fifo"))
        let state = try await sb.husk(["state", id])
        #expect(state.status == 0 && state.stdout.contains("\"running\""), "\(state)")
        try sb.writeFile(ws + "/done", "")
        let r = await child.wait(timeout: 25)
        #expect(r.status == 0, "\(r)")
        s.expectNothingLeft()
    }

    @Test func stdinPassesThroughUnlessNoStdin() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let input = sb.dir + "/input"
        try sb.writeFile(input, "from the host\n")
        let r = try await s.run([], ["cat"], stdin: input)
        #expect(r.status == 0 && r.stdout == "from the host\n", "\(r)")
        let none = try await s.run(["--no-stdin"], ["cat"], stdin: input)
        #expect(none.status == 0 && none.stdout == "", "\(none)")
    }

    @Test func environmentUserAndWorkdir() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let envFile = sb.dir + "/env"
        try sb.writeFile(envFile, "# comment\nFROM_FILE=yes\n\nB=file\n")
        let r = try await s.sh("echo $A $B $FROM_FILE $(id -u):$(id -g) $(pwd)",
                               ["--env-file", envFile, "--env", "A=1", "-e", "B=2", "--user", "1000:1001", "--workdir", "/tmp"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "1 2 yes 1000:1001 /tmp\n", "\(r)")
    }

    @Test func changesAreDiscarded() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let first = try await s.sh("echo hi > /marker && rm /bin/cat && test -e /marker")
        #expect(first.status == 0, "\(first)")
        let second = try await s.sh("test ! -e /marker && test -e /bin/cat")
        #expect(second.status == 0, "the second run saw the first one's changes: \(second)")
        #expect(!FileManager.default.fileExists(atPath: s.rootfs + "/marker"))
        #expect(FileManager.default.fileExists(atPath: s.rootfs + "/bin/cat"))
        let ro = try await s.sh("touch /x", ["--read-only"])
        #expect(ro.status != 0, "--read-only root accepted a write: \(ro)")
        #expect(ro.stderr.contains("Read-only"), "\(ro)")
    }

    /// A rootfs overlayfs cannot name (a ':' in its path) falls back to a read-only bind of
    /// it: the command runs, cannot write to the root, the report says "overlay": false, and
    /// what needs an overlay (--export-changes) is refused as the sandbox's failure (125).
    @Test func rootfsOverlayCannotNameIsBoundReadOnly() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let base = try SandboxRunner(sb)
        let odd = sb.dir + "/odd:root"
        #expect(rename(base.rootfs, odd) == 0, "rename: \(errno)")
        defer { rename(odd, base.rootfs) }
        let s = SandboxRunner(sb: sb, rootfs: odd, tmpDir: base.tmpDir)
        let report = sb.dir + "/report.json"
        let r = try await s.sh("test -e /bin/cat && ! touch /x 2>/dev/null && echo ran", ["--report", report])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "ran\n", "\(r)")
        #expect(s.report(report)["overlay"] as? Bool == false, "\(s.report(report))")
        #expect(!FileManager.default.fileExists(atPath: odd + "/x"))
        let export = try await s.sh("true", ["--export-changes", sb.dir + "/changes.tar"])
        #expect(export.status == 125, "\(export)")
        #expect(export.stderr.contains("--export-changes needs overlayfs"), "\(export)")
    }

    /// On cgroup v1 the sandbox has its own cgroup only in the hierarchies it uses (each costs
    /// ~0.3 ms a run): memory, pids, blkio, devices and cpuacct, and cpu only with --cpus. Not
    /// cpuset (no pinning) nor freezer (its pid namespace ends with init): the command's
    /// /proc/self/cgroup shows the sandbox's name on exactly those lines.
    @Test(.enabled(if: access("/sys/fs/cgroup/cpuset/cpuset.cpus", F_OK) == 0 && access("/sys/fs/cgroup/freezer/tasks", F_OK) == 0
                       && access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0,
                   "needs cgroup v1 cpuset and freezer hierarchies"))
    func v1SandboxJoinsOnlyTheHierarchiesItUses() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        for cpus in [false, true] {
            let id = sb.newID("hierarchies")
            let r = try await sb.husk(["sandbox", "--name", id, "--tmp-dir", s.tmpDir, "--rootfs", s.rootfs]
                                      + (cpus ? ["--cpus", "1"] : []) + ["--", "cat", "/proc/self/cgroup"])
            s.expectNothingLeft()
            #expect(r.status == 0, "\(r)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            let joined = { (controller: String) -> Bool? in
                guard let line = lines.first(where: { $0.split(separator: ":").dropFirst().first?.split(separator: ",").contains(Substring(controller)) == true })
                else { return nil }
                return line.hasSuffix("/" + id)
            }
            for controller in ["pids", "memory", "blkio", "devices", "cpuacct"] {
                #expect(joined(controller) == true, "\(controller): \(lines)")
            }
            for controller in ["cpuset", "freezer"] {
                #expect(joined(controller) == false, "\(controller): \(lines)")
            }
            // cpu: its own hierarchy here, joined only to be limited; mounted with cpuacct, always.
            let cpuWithCpuacct = lines.contains { $0.split(separator: ":").dropFirst().first?.split(separator: ",").sorted() == ["cpu", "cpuacct"] }
            #expect(joined("cpu") == (cpus || cpuWithCpuacct), "cpu (--cpus: \(cpus)): \(lines)")
        }
    }

    @Test func exportsChangesAsALayer() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let tar = sb.dir + "/changes.tar"
        let report = sb.dir + "/report.json"
        let r = try await s.sh("mkdir /added && echo data > /added/file && rm /bin/cat && rm -r /etc && mkdir /etc && echo new > /etc/passwd",
                               ["--export-changes", tar, "--report", report])
        #expect(r.status == 0, "\(r)")
        let list = try await sb.host(["/usr/bin/tar", "-tf", tar])
        #expect(list.status == 0, "\(list)")
        let names = Set(list.stdout.split(separator: "\n").map(String.init))
        for want in ["added/", "added/file", "bin/.wh.cat", "etc/", "etc/.wh..wh..opq", "etc/passwd"] {
            #expect(names.contains(want), "missing \(want) in \(names.sorted())")
        }
        let content = try await sb.host(["/usr/bin/tar", "-xOf", tar, "added/file"])
        #expect(content.stdout == "data\n", "\(content)")
        #expect(s.report(report)["exportedChanges"] as? String == tar)
    }

    @Test func workspacesAndVolumes() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let ws = try sb.hostDir("ws")
        let ro = try sb.hostDir("ro")
        try sb.writeFile(ro + "/input", "read me\n")
        let r = try await s.sh("cat /ro/input > /ws/output && cat /ro/input > /v/out2",
                               ["--workspace", "\(ws):/ws", "--workspace-ro", "\(ro):/ro", "-v", "\(ws):/v"])
        #expect(r.status == 0, "\(r)")
        #expect((try? String(contentsOfFile: ws + "/output", encoding: .utf8)) == "read me\n")
        #expect((try? String(contentsOfFile: ws + "/out2", encoding: .utf8)) == "read me\n")
        let denied = try await s.sh("echo no > /ro/x", ["--workspace-ro", "\(ro):/ro"])
        #expect(denied.status != 0, "\(denied)")
        let deniedV = try await s.sh("echo no > /ro/x", ["-v", "\(ro):/ro:ro"])
        #expect(deniedV.status != 0, "\(deniedV)")
        #expect(!FileManager.default.fileExists(atPath: ro + "/x"))
        let tmpfs = try await s.sh("grep ' /scratch ' /proc/mounts", ["--tmpfs", "/scratch:size=1m"])
        #expect(tmpfs.status == 0 && tmpfs.stdout.contains("tmpfs") && tmpfs.stdout.contains("size=1024k"), "\(tmpfs)")
    }

    @Test func cachePersistsAcrossRuns() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let name = "hit-cache-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let dir = "/var/lib/husk/caches/" + name
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await s.sh("echo kept > /cache/f", ["--cache", "\(name):/cache"])
        #expect(first.status == 0, "\(first)")
        let second = try await s.sh("cat /cache/f", ["--cache", "\(name):/cache"])
        #expect(second.status == 0 && second.stdout == "kept\n", "\(second)")
        #expect(FileManager.default.fileExists(atPath: dir + "/f"))
    }

    @Test func timeoutStopsTheCommand() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let started = Date()
        let r = try await s.run(["--timeout", "1s", "--grace", "1s", "--report", report], ["sleep", "30"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.status == 124, "\(r)")
        // Far below the 30 s of the command; loose enough for a loaded 2-core CI machine.
        #expect(elapsed < 20, "took \(elapsed) s")
        let o = s.report(report)
        #expect(o["timedOut"] as? Bool == true, "\(o)")
        #expect(o["exitCode"] as? Int == 124, "\(o)")
        // A process that handles SIGTERM ends within the grace period.
        let polite = try await s.sh("trap 'exit 0' TERM; sleep 30 & wait", ["--timeout", "500ms", "--grace", "20s"])
        #expect(polite.status == 124 && polite.elapsed < 15, "TERM ended it before the 20 s grace: \(polite)")
    }

    @Test func sigtermToHuskEndsTheSandbox() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let id = sb.newID("sbx")
        let child = try sb.startHusk(["sandbox", "--name", id, "--tmp-dir", s.tmpDir, "--rootfs", s.rootfs, "--grace", "1s", "--", "sleep", "30"])
        #expect(await Harness.poll(timeout: 10) { FileManager.default.fileExists(atPath: sb.stateRoot + "/" + id + "/state.json") })
        try await Task.sleep(for: .milliseconds(300))
        kill(child.pid, SIGTERM)
        let r = await child.wait(timeout: 25)
        #expect(!r.timedOut && r.elapsed < 20, "ended well before sleep's 30 s: \(r)")
        #expect(r.status == 137, "sleep as pid 1 ignores SIGTERM, so the grace period ends in SIGKILL: \(r)")
        s.expectNothingLeft()
    }

    @Test func oomKillHasItsOwnCode() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let r = try await s.sh("x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}", ["--memory", "16m", "--report", report])
        #expect(r.status == 123, "\(r)")
        let o = s.report(report)
        #expect(o["oomKilled"] as? Bool == true, "\(o)")
        #expect((o["memoryPeakBytes"] as? Int ?? 0) > 0, "\(o)")
        #expect((o["limits"] as? [String: Any])?["memoryBytes"] as? Int == 16 << 20, "\(o)")
    }

    @Test func pidsLimitContainsAForkBomb() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let r = try await s.sh("for i in $(seq 100); do sleep 5 & done; echo started", ["--pids", "20", "--report", report], timeout: 30)
        #expect(!r.timedOut, "\(r)")
        #expect(r.stderr.contains("fork") || r.stderr.contains("Resource temporarily unavailable"), "\(r)")
        let o = s.report(report)
        if let peak = o["pidsPeak"] as? Int { #expect(peak <= 20, "\(o)") }
    }

    @Test func networkNoneHasOnlyLoopback() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let r = try await s.sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '", ["--network", "none"])
        #expect(r.status == 0 && r.stdout == "lo\n", "\(r)")
        let dflt = try await s.sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
        #expect(dflt.stdout == "lo\n", "\(dflt)")
        let host = try await s.sh("tail -n +3 /proc/net/dev | wc -l", ["--network", "host"])
        #expect(Int(host.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 1, "\(host)")
    }

    @Test func reportToStderr() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let r = try await s.sh("exit 3", ["--report", "-", "--cpus", "0.5", "--pids", "50", "--io-weight", "200"])
        #expect(r.status == 3, "\(r)")
        guard let start = r.stderr.firstIndex(of: "{"),
              let o = try? JSONSerialization.jsonObject(with: Data(r.stderr[start...].utf8)) as? [String: Any] else {
            Issue.record("no JSON report on stderr: \(r)")
            return
        }
        #expect(o["exitCode"] as? Int == 3)
        #expect(o["timedOut"] as? Bool == false)
        #expect(o["oomKilled"] as? Bool == false)
        #expect(o["command"] as? [String] == ["sh", "-c", "exit 3"])
        #expect(o["rootfs"] as? String == s.rootfs)
        for key in ["signal", "durationMs", "cpuUserMs", "cpuSystemMs", "memoryPeakBytes", "pidsPeak", "exportedChanges"] {
            #expect(o.keys.contains(key), "missing \(key): \(o)")
        }
        let limits = o["limits"] as? [String: Any] ?? [:]
        #expect(limits["cpuQuotaUs"] as? Int == 50_000, "\(limits)")
        #expect(limits["pids"] as? Int == 50, "\(limits)")
        #expect(limits["ioWeight"] as? Int == 200, "\(limits)")
    }

    /// --log-file saves what the command prints while stdout and stderr still stream separately;
    /// output of processes that outlive the command's first process is not lost.
    @Test func logFileKeepsTheOutput() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let log = sb.dir + "/job.log"
        let r = try await s.sh("echo out1; echo err1 >&2; (sleep 0.3; echo late) & echo out2; wait; exit 4", ["--log-file", log])
        #expect(r.status == 4, "\(r)")
        #expect(r.stdout == "out1\nout2\nlate\n", "\(r)")
        #expect(r.stderr == "err1\n", "\(r)")
        let saved = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(saved.split(separator: "\n").sorted() == ["err1", "late", "out1", "out2"], "\(saved)")
        #expect(saved.hasSuffix("late\n"), "in arrival order: \(saved)")
        // A log file that cannot be written is a sandbox failure before anything runs.
        let bad = try await s.sh("echo never", ["--log-file", sb.dir + "/no/such/dir/job.log"])
        #expect(bad.status == 125 && bad.stderr.contains("no/such/dir/job.log") && !bad.stdout.contains("never"), "\(bad)")
        // The ID was claimed and the cgroup started before the log file was opened: both gone.
        s.expectNothingLeft()
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }

    /// --io-max lands in the sandbox's cgroup (v1 blkio.throttle.*, v2 io.max) and the report.
    @Test func ioMaxThrottlesTheDevice() async throws {
        // A real disk (the kernel refuses throttles for devices it does not have).
        let disks = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []).sorted()
            .filter { !$0.hasPrefix("loop") && !$0.hasPrefix("ram") }
        let devno = try #require(disks.lazy.compactMap { try? String(contentsOfFile: "/sys/block/\($0)/dev", encoding: .utf8) }.first,
                                 "no block device in /sys/block").trimmingCharacters(in: .whitespacesAndNewlines)
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let s = try SandboxRunner(sb)
        let report = sb.dir + "/report.json"
        let r = try await s.sh("cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device 2>/dev/null || grep '^\(devno) ' /sys/fs/cgroup/io.max",
                               ["--io-max", devno + ":rbps=1m,wiops=100", "--report", report])
        #expect(r.status == 0, "\(r)")
        let lines = Set(r.stdout.split(separator: "\n").map(String.init))
        #expect(lines == ["\(devno) 1048576", "\(devno) 100"] || lines == ["\(devno) rbps=1048576 wbps=max riops=max wiops=100"], "\(r)")
        let limits = s.report(report)["limits"] as? [String: Any] ?? [:]
        #expect(limits["ioMax"] as? [String] == ["\(devno) rbps=1048576 wiops=100"], "\(limits)")
    }

    @Test(arguments: [
        (["--bogus"], "unknown option"),
        ([], "--rootfs"),
        (["--rootfs", "/no/such/rootfs"], "/no/such/rootfs"),
        (["--memory", "lots"], "--memory"),
        (["--timeout", "soon"], "--timeout"),
        (["--network", "bridge"], "--network"),
        (["--user", "bob"], "--user"),
        (["--workspace", "relative"], "--workspace"),
        (["--cache", "../x:/c"], "--cache"),
        (["--pids", "0"], "--pids"),
        (["--io-max", "/no/such/disk:rbps=1m"], "--io-max"),
        (["--io-max", "8:0:rbps=fast"], "--io-max"),
        (["--io-max", "8:0:speed=1"], "--io-max"),
    ])
    func badFlagsExit125(_ flags: [String], _ mentions: String) async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let rootfs = try sb.bundle().rootfs
        var args = ["sandbox", "--tmp-dir", sb.dir + "/sandboxes"]
        if !flags.contains("--rootfs") && !flags.isEmpty { args += ["--rootfs", rootfs] }
        let r = try await sb.husk(args + flags + ["--", "true"])
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr.contains("sandbox") && r.stderr.contains(mentions), "\(r)")
        let noCommand = try await sb.husk(["sandbox", "--rootfs", rootfs])
        #expect(noCommand.status == 125 && noCommand.stderr.contains("no command"), "\(noCommand)")
    }

    @Test func helpDocumentsTheExitCodes() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.husk(["sandbox", "--help"])
        #expect(r.status == 0)
        for code in ["123", "124", "125"] { #expect(r.stdout.contains(code), "\(r)") }
        // -h after the command belongs to the command.
        let rootfs = try sb.bundle().rootfs
        let id = sb.newID("sbx")
        let cmd = try await sb.husk(["sandbox", "--name", id, "--tmp-dir", sb.dir + "/sandboxes", "--rootfs", rootfs, "--", "echo", "-h"])
        #expect(cmd.status == 0 && cmd.stdout == "-h\n", "\(cmd)")
    }
}
