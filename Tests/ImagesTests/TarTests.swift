import Glibc
import Images
import Testing

/// A temp dir with a target `root` and a `sentinel` dir beside it: nothing may appear outside root.
final class Scratch {
    let base: String
    var root: String { base + "/root" }
    var sentinel: String { base + "/sentinel" }
    init() {
        var template = Array("/tmp/husk-img-test-XXXXXX".utf8CString)
        base = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        mkdir(root, 0o755)
        mkdir(sentinel, 0o755)
    }
    deinit { try? removeAll(base) }
    /// Everything under base except root's content: must stay just ["root", "sentinel"] and an empty sentinel.
    var outsideIsClean: Bool { list(base) == ["root", "sentinel"] && list(sentinel).isEmpty }
    func exists(_ rel: String) -> Bool { var st = stat(); return lstat(root + "/" + rel, &st) == 0 }
    func read(_ rel: String) -> String? {
        guard let f = fopen(root + "/" + rel, "r") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        while true { let c = fgetc(f); if c < 0 { break }; out.append(UInt8(c)) }
        return String(decoding: out, as: UTF8.self)
    }
}

func list(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if n != "." && n != ".." { names.append(n) }
    }
    return names.sorted()
}

func removeAll(_ path: String) throws {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
        for n in list(path) { try removeAll(path + "/" + n) }
        rmdir(path)
    } else { unlink(path) }
}

func file(_ path: String, _ text: String, mode: UInt32 = 0o644) -> (TarEntry, [UInt8]) {
    var e = TarEntry(kind: .file, path: path); e.mode = mode
    return (e, Array(text.utf8))
}
func dir(_ path: String) -> TarEntry { var e = TarEntry(kind: .directory, path: path); e.mode = 0o755; return e }
func link(_ kind: TarEntry.Kind, _ path: String, _ target: String) -> TarEntry { var e = TarEntry(kind: kind, path: path); e.linkTarget = target; return e }

func tar(_ build: (inout TarBuilder) -> Void) -> [UInt8] {
    var w = TarBuilder(); build(&w); w.finish(); return w.bytes
}

func unpack(_ bytes: [UInt8], into s: Scratch, _ mode: Unpacker.Whiteouts = .apply) throws {
    try Unpacker(root: s.root, whiteouts: mode).unpack(MemoryReader(bytes))
}

@Suite struct TarReaderTests {
    @Test func ustarPaxAndGNULongNames() throws {
        let longName = String(repeating: "d/", count: 80) + "file"
        var w = TarBuilder()
        let (e, d) = file("a/b.txt", "hello")
        w.add(e, data: d)
        w.add(TarEntry(kind: .file, path: longName), data: Array("long".utf8))  // pax path
        w.addRaw(name: "././@LongLink", type: UInt8(ascii: "L"), size: 9, data: Array("gnu/long\u{0}".utf8))
        w.add(TarEntry(kind: .file, path: "short"), data: [])
        w.addRaw(name: "././@LongLink", type: UInt8(ascii: "K"), size: 12, data: Array("target/long\u{0}".utf8))
        w.add(link(.symlink, "sym", "t"))
        var x = TarEntry(kind: .file, path: "x"); x.xattrs = [("user.k", Array("v".utf8))]; x.mtime = 1_700_000_000
        w.add(x, data: [])
        w.addPax([("mtime", Array("1700000000.5".utf8)), ("uid", Array("4000000".utf8))])
        w.add(TarEntry(kind: .file, path: "paxed"), data: [])
        w.finish()
        let r = TarReader(MemoryReader(w.bytes))
        var entries: [TarEntry] = []
        var firstData: [UInt8] = []
        while let e = try r.next() {
            if entries.isEmpty { firstData = try r.readData(limit: 100) }
            entries.append(e)
        }
        #expect(entries.map(\.path) == ["a/b.txt", longName, "gnu/long", "sym", "x", "paxed"])
        #expect(firstData == Array("hello".utf8))
        #expect(entries[3].linkTarget == "target/long")
        #expect(entries[4].xattrs.first?.name == "user.k")
        #expect(entries[4].mtime == 1_700_000_000)
        #expect(entries[5].mtimeNanoseconds == 500_000_000 && entries[5].uid == 4_000_000)
    }

    @Test func corruptChecksumFails() {
        var bytes = tar { w in let (e, d) = file("a", "x"); w.add(e, data: d) }
        bytes[0] = UInt8(ascii: "b")
        #expect(throws: ImageError.self) { while try TarReader(MemoryReader(bytes)).next() != nil {} }
    }

    @Test func hugePaxHeaderIsRefused() {
        var w = TarBuilder()
        w.addRaw(name: "PaxHeaders/x", type: UInt8(ascii: "x"), size: 64 << 20, data: [])
        #expect(throws: ImageError.self) { _ = try TarReader(MemoryReader(w.bytes)).next() }
    }
}

@Suite struct UnpackTests {
    @Test func entriesModesLinksAndTimes() throws {
        let s = Scratch()
        var exe = TarEntry(kind: .file, path: "bin/tool"); exe.mode = 0o755; exe.mtime = 1_000_000
        try unpack(tar { w in
            w.add(dir("bin"))
            w.add(exe, data: Array("#!".utf8))
            w.add(link(.symlink, "bin/ln", "tool"))
            w.add(link(.hardlink, "bin/hard", "bin/tool"))
            w.add(link(.hardlink, "/bin/hard2", "/bin/tool"))
            w.add(TarEntry(kind: .fifo, path: "run/fifo"))
            let (e, d) = file("/abs/file", "abs"); w.add(e, data: d)
        }, into: s)
        var st = stat()
        #expect(stat(s.root + "/bin/tool", &st) == 0 && st.st_mode & 0o777 == 0o755 && st.st_mtim.tv_sec == 1_000_000)
        #expect(st.st_nlink == 3)
        #expect(s.read("bin/ln") == "#!")
        #expect(lstat(s.root + "/run/fifo", &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
        #expect(s.read("abs/file") == "abs")
        #expect(s.outsideIsClean)
    }

    @Test func whiteoutsApply() throws {
        let s = Scratch()
        try unpack(tar { w in
            for p in ["a/1", "a/2", "b/keep", "gone"] { let (e, d) = file(p, p); w.add(e, data: d) }
        }, into: s)
        try unpack(tar { w in
            let (e, d) = file("a/new", "new"); w.add(e, data: d)
            w.add(TarEntry(kind: .file, path: "a/.wh..wh..opq"), data: [])
            w.add(TarEntry(kind: .file, path: ".wh.gone"), data: [])
        }, into: s)
        #expect(list(s.root + "/a") == ["new"])
        #expect(!s.exists("gone") && s.exists("b/keep"))
        #expect(!s.exists(".wh.gone"))
    }

    @Test func whiteoutsAsOverlay() throws {
        guard geteuid() == 0 else { return }
        let s = Scratch()
        try unpack(tar { w in
            w.add(TarEntry(kind: .file, path: "d/.wh..wh..opq"), data: [])
            w.add(TarEntry(kind: .file, path: ".wh.gone"), data: [])
        }, into: s, .overlay)
        var st = stat()
        #expect(lstat(s.root + "/gone", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == 0)
        #expect(system("getfattr -n trusted.overlay.opaque --only-values \(s.root)/d 2>/dev/null | grep -qx y") == 0 || access("/usr/bin/getfattr", X_OK) != 0)
    }

    @Test func gzipAndZstdLayers() throws {
        // Produced by gzip -c / zstd -c of a tar with "hi" → "hello\n" (written at test time with the tools when present).
        let s = Scratch()
        let plain = tar { w in let (e, d) = file("hi", "hello\n"); w.add(e, data: d) }
        for (tool, args) in [("/bin/gzip", "-c"), ("/usr/bin/zstd", "-qc")] where access(tool, X_OK) == 0 {
            let src = s.base + "/layer.tar"
            let f = fopen(src, "w")!; _ = plain.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }; fclose(f)
            #expect(system("\(tool) \(args) \(src) > \(src).c") == 0)
            unlink(src)
            try Unpacker(root: s.root, whiteouts: .apply).unpack(try FileReader(path: src + ".c", decompress: true))
            unlink(src + ".c")
            #expect(s.read("hi") == "hello\n")
            unlink(s.root + "/hi")
        }
    }
}

/// Hostile layers: each must fail or stay inside the target; the sentinel dir beside it stays empty.
@Suite struct HostileTarTests {
    func expectContained(_ layers: [[UInt8]], mustFail: Bool = false, _ check: (Scratch) -> Void = { _ in }) {
        let s = Scratch()
        var failed = false
        for l in layers {
            do { try unpack(l, into: s) } catch { failed = true; break }
        }
        if mustFail { #expect(failed) }
        #expect(s.outsideIsClean)
        check(s)
    }

    @Test func dotDotPath() {
        expectContained([tar { w in let (e, d) = file("../sentinel/x", "pwned"); w.add(e, data: d) }], mustFail: true)
        expectContained([tar { w in let (e, d) = file("a/../../sentinel/x", "pwned"); w.add(e, data: d) }], mustFail: true)
    }

    @Test func absolutePathStaysInside() {
        expectContained([tar { w in let (e, d) = file("/etc/x", "inside"); w.add(e, data: d) }]) { s in
            #expect(s.read("etc/x") == "inside")
        }
    }

    @Test func symlinkToRootThenWriteThrough() {
        expectContained([tar { w in
            w.add(link(.symlink, "a", "/"))
            let (e, d) = file("a/sentinel/x", "pwned"); w.add(e, data: d)
        }], mustFail: true)
        expectContained([tar { w in
            w.add(link(.symlink, "a", "../sentinel"))
            let (e, d) = file("a/x", "pwned"); w.add(e, data: d)
        }], mustFail: true)
    }

    @Test func symlinkPlantedInAnEarlierLayer() {
        expectContained([
            tar { w in w.add(link(.symlink, "etc", "../sentinel")) },
            tar { w in let (e, d) = file("etc/x", "pwned"); w.add(e, data: d) },
        ], mustFail: true)
        // Replacing the symlink itself is fine: the entry removes it, it never writes through it.
        expectContained([
            tar { w in w.add(link(.symlink, "f", "../sentinel/f")) },
            tar { w in let (e, d) = file("f", "ok"); w.add(e, data: d) },
        ]) { s in #expect(s.read("f") == "ok") }
    }

    @Test func hardlinkOutside() {
        expectContained([tar { w in w.add(link(.hardlink, "passwd", "/etc/passwd")) }], mustFail: true)
        expectContained([tar { w in w.add(link(.hardlink, "passwd", "../../../../etc/passwd")) }], mustFail: true)
        expectContained([tar { w in
            w.add(link(.symlink, "s", "/etc"))
            w.add(link(.hardlink, "passwd", "s/passwd"))
        }], mustFail: true)
    }

    @Test func whiteoutOutside() {
        let s = Scratch()
        let victim = s.sentinel + "/x"
        close(open(victim, O_CREAT | O_WRONLY, 0o644))
        #expect(throws: ImageError.self) { try unpack(tar { w in w.add(TarEntry(kind: .file, path: "../sentinel/.wh.x"), data: []) }, into: s) }
        #expect(throws: ImageError.self) { try unpack(tar { w in w.add(TarEntry(kind: .file, path: ".wh.."), data: []) }, into: s) }
        #expect(access(victim, F_OK) == 0)
    }

    @Test func hugePaxHeader() {
        expectContained([{ var w = TarBuilder(); w.addRaw(name: "p", type: UInt8(ascii: "x"), size: 1 << 40, data: []); return w.bytes }()], mustFail: true)
    }

    @Test func devicesOnlyAsRoot() throws {
        let s = Scratch()
        var dev = TarEntry(kind: .charDevice, path: "null"); dev.devMajor = 1; dev.devMinor = 3; dev.mode = 0o666
        var u = Unpacker(root: s.root, whiteouts: .apply)
        u.allowDevices = false
        try u.unpack(MemoryReader(tar { w in w.add(dev) }))
        #expect(!s.exists("null"))
    }
}
