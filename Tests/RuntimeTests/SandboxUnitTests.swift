import Glibc
import JSON
import Runtime
import Sys
import Tar
import Testing

/// A minimal tar reader for the tests: (name with pax path applied, typeflag, size, link, content) per entry.
private struct ReadEntry: Equatable {
    var name: String
    var type: Character
    var size: Int
    var link: String
    var content: [UInt8]
}

private func field(_ h: ArraySlice<UInt8>, _ offset: Int, _ width: Int) -> String {
    let start = h.startIndex + offset
    return String(decoding: h[start..<(start + width)].prefix(while: { $0 != 0 }), as: UTF8.self)
}

private func octal(_ h: ArraySlice<UInt8>, _ offset: Int, _ width: Int) -> Int {
    Int(field(h, offset, width).trimmingCharacters(), radix: 8) ?? -1
}

extension String {
    fileprivate func trimmingCharacters() -> String { String(filter { $0 != " " }) }
}

private func readTar(_ bytes: [UInt8]) -> (entries: [ReadEntry], checksumsOK: Bool, ended: Bool) {
    var out: [ReadEntry] = []
    var offset = 0
    var paxPath: String? = nil
    var ok = true
    while offset + 512 <= bytes.count {
        let h = bytes[offset..<(offset + 512)]
        if h.allSatisfy({ $0 == 0 }) {
            return (out, ok, offset + 1024 <= bytes.count && bytes[offset..<(offset + 1024)].allSatisfy { $0 == 0 })
        }
        var sum = 0
        for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        if sum != octal(h, 148, 8) { ok = false }
        let size = octal(h, 124, 12)
        let type = Character(UnicodeScalar(h[h.startIndex + 156]))
        let data = Array(bytes[(offset + 512)..<(offset + 512 + size)])
        offset += 512 + (size + 511) / 512 * 512
        if type == "x" {
            for record in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let kv = record.drop(while: { $0 != " " }).dropFirst()
                if kv.hasPrefix("path=") { paxPath = String(kv.dropFirst(5)) }
            }
            continue
        }
        let prefix = field(h, 345, 155)
        var name = field(h, 0, 100)
        if !prefix.isEmpty { name = prefix + "/" + name }
        if let p = paxPath { name = p; paxPath = nil }
        out.append(ReadEntry(name: name, type: type, size: size, link: field(h, 157, 100), content: data))
    }
    return (out, ok, false)
}

private func archive(_ build: (TarWriter) throws -> Void) throws -> [UInt8] {
    var bytes: [UInt8] = []
    let sink: ([UInt8]) throws(SysError) -> Void = { bytes += $0 }
    let writer = TarWriter(sink: sink)
    try build(writer)
    try writer.finish()
    _ = sink
    return bytes
}

@Suite struct TarWriterTests {
    @Test func filesDirsLinksAndTheEndMarker() throws {
        let bytes = try archive { w in
            try w.add(.init(path: "dir", kind: .directory, mode: 0o755))
            try w.addFile(.init(path: "dir/hello.txt", kind: .file), contents: Array("hello\n".utf8))
            try w.add(.init(path: "dir/link", kind: .symlink(target: "hello.txt"), mode: 0o777))
            try w.add(.init(path: "dir/hard", kind: .hardlink(target: "dir/hello.txt")))
            try w.add(.init(path: "dev/null", kind: .characterDevice(major: 1, minor: 3), mode: 0o666))
        }
        #expect(bytes.count % 512 == 0)
        let (entries, ok, ended) = readTar(bytes)
        #expect(ok)
        #expect(ended)
        #expect(entries.map(\.name) == ["dir/", "dir/hello.txt", "dir/link", "dir/hard", "dev/null"])
        #expect(entries.map(\.type) == ["5", "0", "2", "1", "3"])
        #expect(entries[1].content == Array("hello\n".utf8))
        #expect(entries[2].link == "hello.txt")
        #expect(entries[3].link == "dir/hello.txt")
    }

    @Test func longNamesUseThePrefixFieldThenPax() throws {
        let medium = String(repeating: "a", count: 120) + "/" + String(repeating: "b", count: 90)
        let long = (0..<40).map { _ in "segment" }.joined(separator: "/") + "/file"
        let bytes = try archive { w in
            try w.addFile(.init(path: medium, kind: .file), contents: [1, 2, 3])
            try w.addFile(.init(path: long, kind: .file), contents: Array(repeating: 7, count: 700))
        }
        let (entries, ok, _) = readTar(bytes)
        #expect(ok)
        #expect(entries.map(\.name) == [medium, long])
        #expect(entries[1].content == Array(repeating: 7, count: 700))
        // The long one needed a pax header: an 'x' entry precedes it.
        #expect(bytes.count > 6 * 512)
    }

    @Test func gnuTarReadsIt() throws {
        guard access("/usr/bin/tar", X_OK) == 0 else { return }
        let long = String(repeating: "x", count: 300)
        let path = "/tmp/husk-tarwriter-\(getpid()).tar"
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        let w = TarWriter(fd: fd, path: path)
        try w.addFile(.init(path: "d/" + long, kind: .file), contents: Array("content".utf8))
        try w.add(.init(path: "d/.wh.gone", kind: .file))
        try w.finish()
        close(fd)
        let listing = try run(["/usr/bin/tar", "-tf", path])
        #expect(listing == "d/\(long)\nd/.wh.gone\n")
    }

    @Test func whiteoutNames() {
        #expect(LayerDiff.whiteoutPath(for: "a") == ".wh.a")
        #expect(LayerDiff.whiteoutPath(for: "bin/ls") == "bin/.wh.ls")
        #expect(LayerDiff.whiteoutPath(for: "a/b/c") == "a/b/.wh.c")
    }

    /// A real overlay: deletions become whiteouts, a directory deleted and made again is opaque.
    @Test(.enabled(if: geteuid() == 0, "needs root (mounts an overlayfs)"))
    func overlayUpperDirBecomesALayer() throws {
        var template = Array("/tmp/husk-layerdiff-XXXXXX".utf8CString)
        let base = String(cString: mkdtemp(&template)!)
        defer { umount2(base + "/merged", Int32(MNT_DETACH)); try? Files.removeTree(base) }
        for d in ["lower", "lower/d", "upper", "work", "merged"] { mkdir(base + "/" + d, 0o755) }
        try Files.write(base + "/lower/gone", "x")
        try Files.write(base + "/lower/kept", "x")
        try Files.write(base + "/lower/d/old", "x")
        let opts = "lowerdir=\(base)/lower,upperdir=\(base)/upper,workdir=\(base)/work"
        guard mount("overlay", base + "/merged", "overlay", 0, opts) == 0 else { return }
        let m = base + "/merged"
        unlink(m + "/gone")
        try Files.removeTree(m + "/d")
        mkdir(m + "/d", 0o755)
        try Files.write(m + "/d/new", "new")
        try Files.write(m + "/added", "added")
        umount2(m, 0)

        var bytes: [UInt8] = []
        let w = TarWriter { (b: [UInt8]) throws(SysError) in bytes += b }
        try LayerDiff.export(upper: base + "/upper", to: w)
        try w.finish()
        let (entries, ok, _) = readTar(bytes)
        #expect(ok)
        // Names in sorted order per directory: "gone" (a whiteout device in upper) comes last.
        #expect(entries.map(\.name) == ["added", "d/", "d/.wh..wh..opq", "d/new", ".wh.gone"])
        #expect(entries.first(where: { $0.name == "d/new" })?.content == Array("new".utf8))
    }
}

private func run(_ argv: [String]) throws -> String {
    var fds: [Int32] = [0, 0]
    pipe(&fds)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    let cArgs = argv.map { strdup($0) } + [nil]
    var pid: pid_t = 0
    posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
    close(fds[1])
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fds[0], &buf, buf.count)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    close(fds[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    cArgs.forEach { free($0) }
    return String(decoding: out, as: UTF8.self)
}

@Suite struct SandboxSpecTests {
    func spec(_ configure: (inout SandboxOptions) -> Void) -> JSONValue {
        var o = SandboxOptions(command: ["make", "test"], rootfs: "/srv/rootfs")
        configure(&o)
        return o.spec(rootReadOnly: o.readOnly, cgroupNamespace: false, cacheHostPath: { "/caches/" + $0 })
    }

    @Test func defaultsAreRuncsWithSeccompAndAnEmptyNetwork() {
        let s = spec { _ in }
        let process = s.object?["process"]?.object
        #expect(process?["args"] == ["make", "test"])
        #expect(process?["terminal"]?.bool == false)
        #expect(process?["noNewPrivileges"]?.bool == true)
        #expect(process?["capabilities"]?.object?["bounding"] == ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
        let linux = s.object?["linux"]?.object
        #expect(linux?["seccomp"]?.object?["defaultAction"]?.string == "SCMP_ACT_ERRNO")
        #expect(linux?["namespaces"]?.array?.contains(["type": "network"]) == true)
        #expect(s.object?["root"] == ["path": "rootfs", "readonly": false])
    }

    @Test func hostNetworkDropsTheNamespace() {
        let s = spec { $0.hostNetwork = true }
        #expect(s.object?["linux"]?.object?["namespaces"]?.array?.contains(["type": "network"]) == false)
    }

    @Test func limitsBecomeResources() {
        let s = spec {
            $0.memoryBytes = 64 << 20
            $0.cpus = 1.5
            $0.pids = 20
            $0.ioWeight = 300
        }
        let r = s.object?["linux"]?.object?["resources"]?.object
        #expect(r?["memory"]?.object?["limit"]?.int64 == 64 << 20)
        #expect(r?["cpu"]?.object?["quota"]?.int64 == 150_000)
        #expect(r?["cpu"]?.object?["period"]?.int64 == 100_000)
        #expect(r?["pids"]?.object?["limit"]?.int64 == 20)
        #expect(r?["blockIO"]?.object?["weight"]?.int64 == 300)
        #expect(r?["devices"]?.array?.count == 1)
    }

    /// The sandbox's filter lists x32 only where the kernel runs x32 system calls.
    @Test func seccompListsX32OnlyWhereTheKernelRunsIt() {
        let archs = spec { _ in }.object?["linux"]?.object?["seccomp"]?.object?["architectures"]?.array?.compactMap(\.string) ?? []
        #expect(!archs.isEmpty)
        #expect(archs.contains("SCMP_ARCH_X32") == (Kernel.runsX32Syscalls && archs.contains("SCMP_ARCH_X86_64")))
    }

    /// The sandbox makes its cgroup from `resources` before its config exists: the config must
    /// name exactly those, and no device node that would need an allow rule.
    @Test func configResourcesAreTheOnesTheCgroupIsMadeWith() {
        var o = SandboxOptions(command: ["true"], rootfs: "/r")
        o.memoryBytes = 1 << 30
        o.cpus = 2
        o.pids = 100
        let linux = o.spec(rootReadOnly: false, cgroupNamespace: false, cacheHostPath: { $0 }).object?["linux"]?.object
        #expect(linux?["resources"] == o.resources)
        #expect((linux?["devices"]?.array ?? []).isEmpty)
    }

    @Test func cgroupControllersLeftOutAreTheUnusedOnes() {
        var o = SandboxOptions(command: ["true"], rootfs: "/")
        // Kept for the report and the device allow-list, whatever the limits.
        for used in ["memory", "pids", "cpuacct", "blkio", "devices"] { #expect(!o.omittedCgroupControllers.contains(used)) }
        for unused in ["cpuset", "freezer", "hugetlb", "cpu"] { #expect(o.omittedCgroupControllers.contains(unused)) }
        o.cpus = 0.5
        #expect(!o.omittedCgroupControllers.contains("cpu"))
    }

    @Test func mountsEnvUserAndWorkdir() {
        let s = spec {
            $0.mounts = [.bind(source: "/src", destination: "/work", readOnly: false),
                         .bind(source: "/data", destination: "/data", readOnly: true),
                         .tmpfs(destination: "/scratch", options: ["size=64m"]),
                         .cache(name: "npm", destination: "/root/.npm")]
            $0.env = ["A=1", "PATH=/bin", "A=2"]
            $0.uid = 1000
            $0.gid = 100
            $0.workdir = "/work"
        }
        let mounts = s.object?["mounts"]?.array ?? []
        let added = mounts.suffix(4).map { ($0.object?["destination"]?.string ?? "", $0.object?["source"]?.string ?? "", $0.object?["options"]?.array?.compactMap(\.string) ?? []) }
        #expect(added.map(\.0) == ["/work", "/data", "/scratch", "/root/.npm"])
        #expect(added[0].2.contains("rw") && added[1].2.contains("ro"))
        #expect(added[2].2.contains("size=64m") && added[2].2.contains("mode=1777"))
        #expect(added[3].1 == "/caches/npm")
        let process = s.object?["process"]?.object
        #expect(process?["env"] == ["HOME=/", "TERM=dumb", "PATH=/bin", "A=2"])
        #expect(process?["user"] == ["uid": 1000, "gid": 100])
        #expect(process?["cwd"]?.string == "/work")
    }

    @Test(arguments: [("npm", true), ("go-build.v2", true), ("", false), ("..", false), ("a/b", false), ("a b", false)])
    func cacheNames(_ name: String, _ valid: Bool) {
        #expect(SandboxOptions.isValidCacheName(name) == valid)
    }
}

@Suite struct SandboxOwnerTests {
    @Test func roundTripsThroughJSON() {
        var o = SandboxOwner(id: "sandbox-1", stateRoot: "/run/husk", pid: 42, startTime: 9001, bootID: "b00t", creatorCgroup: "0::/x\n")
        o.watcherPid = 43
        o.watcherStartTime = 9002
        let back = SandboxOwner.parse(JSON.serializeBytes(o.json))
        #expect(back == o)
        #expect(SandboxOwner.parse(Array("{}".utf8)) == nil)
        #expect(SandboxOwner.parse(Array("not json".utf8)) == nil)
    }

    @Test func liveWhileItsHuskOrWatcherRunsOnThisBoot() {
        let me = getpid()
        let start = Processes.startTime(of: me) ?? 0
        let boot = SandboxOwner.currentBootID()
        #expect(!boot.isEmpty)
        let live = SandboxOwner(id: "s", stateRoot: "/r", pid: me, startTime: start, bootID: boot, creatorCgroup: nil)
        #expect(live.isLive)
        // The same PID with another start time is another process: a reused PID.
        var reused = live
        reused.startTime = start + 1
        #expect(!reused.isLive)
        // Dead husk, live watcher: still live (the watcher is cleaning up).
        reused.watcherPid = me
        reused.watcherStartTime = start
        #expect(reused.isLive)
        // Another boot: nothing from it runs now.
        var oldBoot = live
        oldBoot.bootID = "another-boot"
        #expect(!oldBoot.isLive)
    }
}

@Suite struct SandboxLoopbackTests {
    @Test func theSandboxSpecAsksForLoopbackUp() {
        let o = SandboxOptions(command: ["true"], rootfs: "/r")
        let s = o.spec(rootReadOnly: false, cgroupNamespace: false, cacheHostPath: { $0 })
        #expect(s.object?["annotations"]?.object?[PlanBuilder.loopbackAnnotation]?.string == "up")
        #expect(s.object?["annotations"]?.object?["org.husk.sandbox"]?.string == "true")
    }
}

struct IOMaxTests {
    let noDevices: (String) -> (major: Int64, minor: Int64)? = { _ in nil }

    @Test func parsesNumbersSizesAndPaths() throws {
        let m = try IOMax.parse("8:16:rbps=1m,wbps=512k,riops=200,wiops=100", device: noDevices).get()
        #expect(m == {
            var e = IOMax(major: 8, minor: 16)
            e.readBps = 1 << 20; e.writeBps = 512 << 10; e.readIOPS = 200; e.writeIOPS = 100
            return e
        }())
        #expect(m.description == "8:16 rbps=1048576 wbps=524288 riops=200 wiops=100")
        let byPath = try IOMax.parse("/dev/vda:wbps=1g", device: { $0 == "/dev/vda" ? (254, 0) : nil }).get()
        #expect(byPath.description == "254:0 wbps=1073741824")
    }

    @Test(arguments: ["8:0", "8:0:", "/dev/none:rbps=1m", "8:0:rbps=0", "8:0:rbps=lots", "8:0:riops=1k", "8:0:max=1", "x:y:rbps=1"])
    func refusesWhatItCannotUse(_ text: String) {
        guard case .failure = IOMax.parse(text, device: noDevices) else {
            Issue.record("\(text) parsed")
            return
        }
    }

    @Test func becomesBlockIOThrottles() throws {
        var o = SandboxOptions(command: ["true"], rootfs: "/r")
        var m = IOMax(major: 8, minor: 0)
        m.readBps = 100
        m.writeIOPS = 7
        o.ioMax = [m]
        let io = o.resources.object?["blockIO"]?.object
        #expect(io?["throttleReadBpsDevice"] == [["major": 8, "minor": 0, "rate": 100]])
        #expect(io?["throttleWriteIOPSDevice"] == [["major": 8, "minor": 0, "rate": 7]])
        #expect(io?["throttleWriteBpsDevice"] == nil && io?["weight"] == nil)
    }
}
