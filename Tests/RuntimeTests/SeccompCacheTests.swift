import Glibc
import OCI
import Seccomp
import Sys
import Testing
@testable import Runtime

/// The compiled-filter cache: the same BPF as a fresh compile, only from files root wrote.
@Suite(.enabled(if: geteuid() == 0, "the cache is used by root only"))
struct SeccompCacheTests {
    static func profile() -> LinuxSeccomp {
        var p = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW")
        var rule = LinuxSyscall(names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO")
        rule.errnoRet = 1
        p.syscalls = [rule]
        return p
    }

    @Test func secondCompileComesFromTheFileAndMatches() throws {
        var template = Array("/tmp/husk-seccomp-cache-XXXXXX".utf8CString)
        let dir = String(cString: try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }))
        defer { _ = try? Files.removeTree(dir) }
        let cache = SeccompCache(dir: dir)
        let fresh = try SeccompCompiler.compile(Self.profile())
        let first = try cache.compile(Self.profile())
        #expect(first.filter == fresh.filter && first.flags == fresh.flags)
        let files = Files.listDirectory(dir).filter { $0.hasPrefix(".seccomp-") }
        #expect(files.count == 1, "\(files)")
        // Poison the file: a cached filter is trusted as is, so the second compile must read it.
        let path = dir + "/" + files[0]
        var bytes = try Files.read(path)
        bytes[4] ^= 0xff
        try Files.writeAtomically(path, bytes, mode: 0o600)
        #expect(try cache.compile(Self.profile()).filter != fresh.filter, "the second compile did not use the cache")
        // A file others may write is never used.
        chmod(path, 0o666)
        #expect(try cache.compile(Self.profile()).filter == fresh.filter)
    }

    /// Old keys (other builds, other boots) do not pile up: beyond `keep`, the oldest go.
    @Test func oldFilesArePrunedOnAMiss() throws {
        var template = Array("/tmp/husk-seccomp-cache-XXXXXX".utf8CString)
        let dir = String(cString: try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }))
        defer { _ = try? Files.removeTree(dir) }
        for i in 0..<5 {
            let old = dir + "/.seccomp-old\(i).bpf"
            try Files.writeAtomically(old, [0, 0, 0, 0], mode: 0o600)
            var times = [timespec(tv_sec: 1_000 + i, tv_nsec: 0), timespec(tv_sec: 1_000 + i, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, old, &times, 0) == 0)
        }
        try Files.writeAtomically(dir + "/unrelated", [1], mode: 0o600)
        var cache = SeccompCache(dir: dir)
        cache.keep = 3
        _ = try cache.compile(Self.profile())
        let left = Set(Files.listDirectory(dir))
        #expect(left.count == 4, "\(left.sorted())")
        #expect(left.contains("unrelated") && left.contains(".seccomp-old3.bpf") && left.contains(".seccomp-old4.bpf"), "the newest stay: \(left.sorted())")
        #expect(left.contains { $0.count == ".seccomp-".count + 64 + ".bpf".count }, "the new file stays: \(left.sorted())")
    }

    /// Every field is in the key: a profile that differs anywhere has its own file and filter.
    @Test func differentProfilesNeverShareAFile() throws {
        var template = Array("/tmp/husk-seccomp-cache-XXXXXX".utf8CString)
        let dir = String(cString: try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }))
        defer { _ = try? Files.removeTree(dir) }
        let cache = SeccompCache(dir: dir)
        var other = Self.profile()
        other.syscalls[0].errnoRet = 2
        var names = Self.profile()
        names.syscalls[0].names = ["mkdirat", "mkdir"]
        for p in [Self.profile(), other, names] {
            #expect(try cache.compile(p).filter == (try SeccompCompiler.compile(p)).filter)
        }
        let files = Files.listDirectory(dir).filter { $0.hasPrefix(".seccomp-") }
        #expect(files.count == 3, "\(files)")
        #expect(files.allSatisfy { $0.count == ".seccomp-".count + 64 + ".bpf".count }, "SHA-256 keys: \(files)")
    }
}
