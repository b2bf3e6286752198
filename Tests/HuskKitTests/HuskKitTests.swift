// HuskKit as an embedding program uses it: build a Sandbox, `try await run()`, read the report.
// Needs root, the husk binary (HUSK_BINARY, else bin/husk) and busybox-static for a rootfs.
import Foundation
import HuskKit
import Testing

private enum Env {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
            url.deleteLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }()
    static let husk = ProcessInfo.processInfo.environment["HUSK_BINARY"].flatMap { $0.isEmpty ? nil : $0 } ?? packageRoot + "/bin/husk"
    static let canRun = geteuid() == 0 && access(husk, X_OK) == 0 && access("/bin/busybox", X_OK) == 0
    static let why: Comment = "needs root, an executable HUSK_BINARY (\(husk)) and /bin/busybox (busybox-static)"
}

/// A private world per test: rootfs, state root and tmp dir, checked empty at the end.
private final class World {
    let dir: String
    let rootfs: String
    let prefix = "kit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    private var count = 0

    init() throws {
        dir = NSTemporaryDirectory() + "huskkit-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let build = Process()
        build.executableURL = URL(fileURLWithPath: Env.packageRoot + "/rootfs-examples/busybox/build.sh")
        build.arguments = [dir + "/bundle"]
        build.standardOutput = FileHandle.nullDevice
        try build.run()
        build.waitUntilExit()
        guard build.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        rootfs = dir + "/bundle/rootfs"
    }

    func sandbox(_ command: [String]) -> Sandbox {
        count += 1
        var s = Sandbox(rootfs: rootfs, command: command)
        s.huskPath = Env.husk
        s.stateRoot = dir + "/state"
        s.tmpDir = dir + "/tmp"
        s.name = "\(prefix)-\(count)"
        return s
    }

    /// No state dir, sandbox dir, mount or cgroup of this world is left.
    func expectNothingLeft(sourceLocation: SourceLocation = #_sourceLocation) {
        let fm = FileManager.default
        let state = ((try? fm.contentsOfDirectory(atPath: dir + "/state")) ?? []).filter { !$0.hasPrefix(".") }
        #expect(state.isEmpty, "state left: \(state)", sourceLocation: sourceLocation)
        let tmp = (try? fm.contentsOfDirectory(atPath: dir + "/tmp")) ?? []
        #expect(tmp.isEmpty, "sandbox dirs left: \(tmp)", sourceLocation: sourceLocation)
        let mounts = ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { $0.contains(dir + "/tmp") }
        #expect(mounts.isEmpty, "mounts left: \(mounts)", sourceLocation: sourceLocation)
        var cgroups: [String] = []
        if let walk = fm.enumerator(atPath: "/sys/fs/cgroup") {
            while let p = walk.nextObject() as? String {
                if p.split(separator: "/").count > 5 { walk.skipDescendants(); continue }
                if p.contains(prefix) { cgroups.append(p); walk.skipDescendants() }
            }
        }
        #expect(cgroups.isEmpty, "cgroups left: \(cgroups)", sourceLocation: sourceLocation)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }
}

@Suite(.enabled(if: Env.canRun, Env.why))
struct HuskKitSandboxTests {
    @Test func runsACommandAndReportsIt() async throws {
        let world = try World()
        var job = world.sandbox(["sh", "-c", "echo to-stdout; echo to-stderr >&2; echo $GREETING > /ws/out; exit 3"])
        let ws = world.dir + "/ws"
        try FileManager.default.createDirectory(atPath: ws, withIntermediateDirectories: true)
        job.mounts = [.workspace(host: ws, container: "/ws")]
        job.environment = ["GREETING=hello"]
        job.memoryBytes = 64 << 20
        job.pids = 50
        job.stdout = .file(world.dir + "/stdout")
        job.stderr = .file(world.dir + "/stderr")
        let report = try await job.run()
        #expect(report.exitCode == 3)
        #expect(report.signal == nil && !report.timedOut && !report.oomKilled && report.error == nil)
        #expect(report.duration > .zero)
        #expect((report.memoryPeakBytes ?? 0) > 0, "\(report)")
        #expect(report.cpuUser != nil && report.cpuSystem != nil)
        #expect(try String(contentsOfFile: world.dir + "/stdout", encoding: .utf8) == "to-stdout\n")
        #expect(try String(contentsOfFile: world.dir + "/stderr", encoding: .utf8).contains("to-stderr"))
        #expect(try String(contentsOfFile: ws + "/out", encoding: .utf8) == "hello\n")
        world.expectNothingLeft()
    }

    @Test func commandFailuresAreReportsSetupFailuresThrow() async throws {
        let world = try World()
        var missing = world.sandbox(["/no/such/program"])
        missing.stderr = .discard
        let notFound = try await missing.run()
        #expect(notFound.exitCode == 127 && notFound.error != nil, "\(notFound)")

        var timed = world.sandbox(["sleep", "30"])
        timed.timeout = .milliseconds(300)
        timed.grace = .milliseconds(300)
        let clock = ContinuousClock()
        let started = clock.now
        let late = try await timed.run()
        #expect(late.exitCode == 124 && late.timedOut, "\(late)")
        #expect(clock.now - started < .seconds(20))

        var bad = Sandbox(rootfs: world.dir + "/no-such-rootfs", command: ["true"])
        bad.huskPath = Env.husk
        bad.stateRoot = world.dir + "/state"
        bad.tmpDir = world.dir + "/tmp"
        bad.stderr = .discard
        do {
            _ = try await bad.run()
            Issue.record("a missing rootfs did not throw")
        } catch {
            #expect(error.exitCode == 125)
            #expect(error.message.contains("no-such-rootfs"), "\(error)")
        }
        var noHusk = world.sandbox(["true"])
        noHusk.huskPath = world.dir + "/no-husk-here"
        await #expect(throws: SandboxError.self) { try await noHusk.run() }
        world.expectNothingLeft()
    }

    @Test func manyAtOnceEachWithItsOwnReport() async throws {
        let world = try World()
        let jobs = (0..<6).map { i in world.sandbox(["sh", "-c", "sleep 0.2; exit \(i + 10)"]) }
        let codes = try await withThrowingTaskGroup(of: (Int, Int32).self) { group in
            for (i, job) in jobs.enumerated() { group.addTask { (i, try await job.run().exitCode) } }
            var out: [Int: Int32] = [:]
            for try await (i, code) in group { out[i] = code }
            return out
        }
        for i in 0..<6 { #expect(codes[i] == Int32(i + 10), "job \(i): \(String(describing: codes[i]))") }
        world.expectNothingLeft()
    }

    @Test func cancellingTheTaskStopsTheSandbox() async throws {
        let world = try World()
        var job = world.sandbox(["sleep", "120"])
        job.grace = .milliseconds(500)
        let clock = ContinuousClock()
        let started = clock.now
        let task = Task { try await job.run() }
        try await Task.sleep(for: .seconds(1))
        task.cancel()
        // Cancelled while running: a report (killed); while husk was still starting or setting
        // up: SandboxError 143 (128 + SIGTERM).
        switch await task.result {
        case .success(let report): #expect(report.exitCode != 0, "\(report)")
        case .failure(let error): #expect((error as? SandboxError)?.exitCode == 128 + SIGTERM, "\(error)")
        }
        // Far below the command's 120 s, loose enough for a loaded CI machine.
        #expect(clock.now - started < .seconds(60), "cancel took \(clock.now - started)")
        world.expectNothingLeft()
    }
}

@Suite struct HuskKitUnitTests {
    @Test func commandLine() {
        var s = Sandbox(image: "debian:12", command: ["make", "test"])
        s.huskPath = "/bin/husk"
        s.stateRoot = "/run/x"
        s.mounts = [.workspace(host: "/src", container: "/src"), .workspace(host: "/ro", container: "/ro", readOnly: true),
                    .tmpfs(container: "/tmp", options: ["size=64m"]), .cache(name: "apt", container: "/var/cache/apt")]
        s.memoryBytes = 2 << 30
        s.timeout = .seconds(600)
        s.grace = .milliseconds(1500)
        s.user = (1000, 1000)
        s.workdir = "/src"
        #expect(s.arguments == ["--root", "/run/x", "sandbox", "--image", "debian:12", "--workspace", "/src:/src",
                                "--workspace-ro", "/ro:/ro", "--tmpfs", "/tmp:size=64m", "--cache", "apt:/var/cache/apt",
                                "--memory", "2147483648", "--timeout", "600000ms", "--grace", "1500ms", "--network", "none",
                                "--user", "1000:1000", "--workdir", "/src"])
    }

    @Test func reportParsing() throws {
        let r = try SandboxReport(json: """
            {"exitCode": 123, "signal": 9, "timedOut": false, "oomKilled": true, "error": null, "durationMs": 1500,
             "cpuUserMs": 12, "cpuSystemMs": 3, "memoryPeakBytes": 16777216, "pidsPeak": 4, "ioReadBytes": 0,
             "ioWriteBytes": 4096, "pressure": {"memory": {"some": {"avg10": 1.5, "avg60": 0, "avg300": 0, "totalUs": 77},
             "full": null}}, "future": "ignored"}
            """)
        #expect(r.exitCode == 123 && r.signal == 9 && r.oomKilled && !r.timedOut)
        #expect(r.duration == .milliseconds(1500) && r.cpuUser == .milliseconds(12))
        #expect(r.memoryPeakBytes == 16 << 20 && r.pidsPeak == 4 && r.ioWriteBytes == 4096)
        #expect(r.pressure["memory"]?.some.avg10 == 1.5 && r.pressure["memory"]?.some.totalMicroseconds == 77)
        #expect(r.pressure["memory"]?.full == nil)
        #expect(throws: SandboxError.self) { try SandboxReport(json: "{\"signal\": 1}") }
        #expect(throws: SandboxError.self) { try SandboxReport(json: "not json") }
    }
}
