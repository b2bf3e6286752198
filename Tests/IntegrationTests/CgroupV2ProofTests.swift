// Proofs that the cgroup v2 limits really bite inside containers: OOM kill, fork failure, CPU
// throttling, write throttling, freeze/thaw, a live memory update, and eBPF device control.
// Needs a real cgroup v2 machine; on the project's hybrid hosts run `make test-cgroup-v2`
// (the ../shared/vm guest). Kept lean: the guest is software-emulated, 20-50x slower.
import Foundation
import Testing

enum CgroupV2Host {
    /// /sys/fs/cgroup is cgroup2 and delegates memory, pids, cpu and io (not the hybrid host's tmpfs).
    static let full: Bool = {
        guard let c = try? String(contentsOfFile: "/sys/fs/cgroup/cgroup.subtree_control", encoding: .utf8) else { return false }
        let set = Set(c.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        return ["memory", "pids", "cpu", "io"].allSatisfy(set.contains)
    }()
}

@Suite(.enabled(if: Harness.canRun && CgroupV2Host.full,
                "needs root and /sys/fs/cgroup as cgroup2 with memory, pids, cpu and io; on a hybrid host run `make test-cgroup-v2`"))
struct CgroupV2ProofTests {
    static let slow: Double = 120

    /// The container's resources, its cgroup mounted at /sys/fs/cgroup, and `sh -c script`.
    static func bundle(_ sb: Sandbox, _ name: String, _ resources: [String: Any], _ script: String,
                       mutate: (inout Config) -> Void = { _ in }) throws -> TestBundle {
        try sb.bundle(name) {
            var linux = $0.linux
            linux["resources"] = resources
            $0.linux = linux
            $0.addMount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"])
            $0.shell(script)
            mutate(&$0)
        }
    }

    /// The host path of the cgroup of `pid` (unified hierarchy).
    static func cgroupDir(of pid: Int) throws -> String {
        let text = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }))
        return "/sys/fs/cgroup" + line.dropFirst(3)
    }

    static func value(_ key: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == key { return Int(f[1]) }
        }
        return nil
    }

    /// memory.max 32M: a 100 MB allocation is OOM-killed (137); memory.events and `events --stats`
    /// count it; `update` then changes the live limit.
    @Test func memoryLimitOOMKillsAndUpdateChangesIt() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        var ctl = ""
        let b = try Self.bundle(sb, "oom", ["memory": ["limit": 32 << 20]],
                                "head -c 100m /dev/zero | tail; echo $? > /ctl/rc; exec sleep 60") { ctl = (try? sb.controlDir(&$0)) ?? "" }
        let id = sb.newID("oom")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id], timeout: Self.slow).status == 0)
        let pid = try #require(try await sb.state(id)?["pid"] as? Int)
        let dir = try Self.cgroupDir(of: pid)
        #expect(await Harness.poll(timeout: Self.slow) {
            Self.value("oom_kill", in: (try? String(contentsOfFile: dir + "/memory.events", encoding: .utf8)) ?? "") ?? 0 >= 1
        }, "memory.events: \((try? String(contentsOfFile: dir + "/memory.events", encoding: .utf8)) ?? "?")")
        #expect(try await sb.waitForFile(ctl + "/rc", timeout: Self.slow))
        #expect(try String(contentsOfFile: ctl + "/rc", encoding: .utf8) == "137\n", "the pipeline was SIGKILLed")
        let stats = try await sb.husk(["events", "--stats", id], timeout: Self.slow)
        #expect(stats.status == 0, "\(stats)")
        let oomKills = stats.stdout.replacingOccurrences(of: " ", with: "").components(separatedBy: "\"oom_kill\":").dropFirst().first
            .map { Int($0.prefix(while: \.isNumber)) ?? 0 } ?? 0
        #expect(oomKills >= 1, "\(stats)")

        #expect(try String(contentsOfFile: dir + "/memory.max", encoding: .utf8) == "\(32 << 20)\n")
        let u = try await sb.husk(["update", "--memory", "48m", id], timeout: Self.slow)
        #expect(u.status == 0, "\(u)")
        #expect(try String(contentsOfFile: dir + "/memory.max", encoding: .utf8) == "\(48 << 20)\n")
        #expect(try await sb.husk(["kill", id, "KILL"]).status == 0)
        _ = try await sb.waitForStatus(id, "stopped", timeout: Self.slow)
    }

    /// pids.max 5: the sixth process cannot be forked (sh reports it at once; bash would retry).
    @Test func pidsLimitMakesForkFail() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try Self.bundle(sb, "pids", ["pids": ["limit": 5]],
                                // 1 + 1 + 3 sleepers = 5: the inner sh fails to fork the fourth and gives up (status 2);
                                // the init's sleepers die with the pid namespace.
                                "sh -c 'for i in 1 2 3 4 5 6; do sleep 30 & done; wait'; echo rc=$?; cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids.events")
        let r = try await sb.run(b, timeout: Self.slow)
        #expect(r.stderr.contains("can't fork") || r.stderr.contains("Cannot fork"), "\(r)")
        #expect(r.stdout.hasPrefix("rc=2\n5\nmax "), "\(r)")
        #expect((Self.value("max", in: r.stdout) ?? 0) >= 1, "\(r)")
    }

    /// cpu.max 10000 100000: a 2 s busy loop gets about a tenth of a CPU.
    @Test func cpuQuotaThrottles() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try Self.bundle(sb, "cpu", ["cpu": ["quota": 10000, "period": 100000]],
                                "cat /sys/fs/cgroup/cpu.max; sh -c 'while :; do :; done' & sleep 2; kill $!; cat /sys/fs/cgroup/cpu.stat")
        let r = try await sb.run(b, timeout: Self.slow)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("10000 100000\n"), "\(r)")
        let usage = try #require(Self.value("usage_usec", in: r.stdout), "\(r)")
        #expect(usage < 800_000, "a 2 s busy loop at 10% got \(usage) µs of CPU: \(r.stdout)")
        #expect((Self.value("nr_throttled", in: r.stdout) ?? 0) >= 5, "\(r.stdout)")
        print("cpu proof: usage_usec \(usage), nr_throttled \(Self.value("nr_throttled", in: r.stdout) ?? -1)")
    }

    /// io.max wbps=1 MiB/s on the guest's scratch disk: a 3 MiB O_DIRECT write takes ≥ 2 s.
    @Test(.enabled(if: access("/sys/block/vda/dev", F_OK) == 0, "needs the guest's scratch disk /dev/vda"))
    func writeBandwidthIsThrottled() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let dev = try String(contentsOfFile: "/sys/block/vda/dev", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let mm = dev.split(separator: ":").compactMap { Int($0) }
        try #require(mm.count == 2)
        let b = try Self.bundle(sb, "io", ["blockIO": ["throttleWriteBpsDevice": [["major": mm[0], "minor": mm[1], "rate": 1 << 20]]]],
                                "cat /sys/fs/cgroup/io.max; s=$(cut -d' ' -f1 /proc/uptime); dd if=/dev/zero of=/dev/vda bs=1M count=3 oflag=direct 2>&1; e=$(cut -d' ' -f1 /proc/uptime); echo elapsed $s $e") {
            var linux = $0.linux
            linux["devices"] = [["path": "/dev/vda", "type": "b", "major": mm[0], "minor": mm[1], "fileMode": 0o660, "uid": 0, "gid": 0]]
            $0.linux = linux
        }
        let r = try await sb.run(b, timeout: Self.slow)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("\(dev) rbps=max wbps=1048576"), "\(r)")
        let line = try #require(r.stdout.split(separator: "\n").first(where: { $0.hasPrefix("elapsed ") }), "\(r)")
        let t = line.split(separator: " ").compactMap { Double($0) }
        try #require(t.count == 2, "\(r)")
        #expect(t[1] - t[0] >= 2.0, "3 MiB at 1 MiB/s took \(t[1] - t[0]) s: \(r.stdout)")
        print("io proof: 3 MiB O_DIRECT in \(t[1] - t[0]) s")
    }

    /// pause/resume freeze and thaw the container's cgroup.
    @Test func pauseFreezesTheCgroup() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle("frz") { $0.args = ["sleep", "60"] }
        let id = sb.newID("frz")
        #expect(try await sb.husk(["run", "-d", "--bundle", b.path, id], timeout: Self.slow).status == 0)
        let pid = try #require(try await sb.state(id)?["pid"] as? Int)
        let events = try Self.cgroupDir(of: pid) + "/cgroup.events"
        #expect(try await sb.husk(["pause", id], timeout: Self.slow).status == 0)
        #expect(Self.value("frozen", in: try String(contentsOfFile: events, encoding: .utf8)) == 1)
        let st = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        #expect(st.split(separator: ")").last?.split(separator: " ").first == "S", "frozen tasks sleep: \(st)")
        #expect(try await sb.husk(["resume", id], timeout: Self.slow).status == 0)
        #expect(Self.value("frozen", in: try String(contentsOfFile: events, encoding: .utf8)) == 0)
        #expect(try await sb.status(id) == "running")
    }

    /// `deny a` plus the default allows (an eBPF BPF_CGROUP_DEVICE program): a block device node the
    /// container makes itself cannot be opened (EPERM), while /dev/null works.
    @Test func deviceRulesAreEnforcedWithEBPF() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let script = "mknod /dev/sda b 8 0 && echo mknod-ok; head -c 1 /dev/sda; echo sda-rc=$?; echo x > /dev/null && echo null-ok; head -c 3 /dev/zero | wc -c"
        let b = try Self.bundle(sb, "dev", ["devices": [["allow": false, "access": "rwm"]]], script) {
            var p = $0.process
            let caps = Config.defaultCapabilities + ["CAP_MKNOD"]
            p["capabilities"] = ["bounding": caps, "effective": caps, "permitted": caps, "ambient": caps]
            $0.process = p
        }
        let r = try await sb.run(b, timeout: Self.slow)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("mknod-ok\n"), "b *:* m is a default allow: \(r)")
        #expect(r.stdout.contains("sda-rc=1\n") && r.stderr.contains("Operation not permitted"), "\(r)")
        #expect(r.stdout.contains("null-ok\n3\n"), "\(r)")
    }
}
