import CImages
import Glibc
import OCI
import Seccomp
import Sys

/// Compiled seccomp filters kept between runs: libseccomp takes ~30 ms to turn the default
/// profile into BPF, more than the rest of a container's start. A filter is a pure function of
/// the profile, the libseccomp linked into this binary and the architecture, so it is stored
/// as `<dir>/.seccomp-<key>.bpf`, the key hashing the profile, this husk binary's identity
/// (device, inode, size, mtime: an upgraded husk, with its libseccomp, gets new keys) and the boot ID. The dir
/// is the state root (root's own, usually on tmpfs: a reboot clears it); husk run by another
/// user compiles every time.
struct SeccompCache {
    let dir: String
    /// Files kept: every husk build and boot makes new keys, so old ones would pile up.
    var keep = 32

    func compile(_ profile: LinuxSeccomp) throws(SeccompError) -> CompiledSeccomp {
        guard usable, let key = key(profile) else { return try SeccompCompiler.compile(profile) }
        let path = dir + "/.seccomp-" + key + ".bpf"
        if let cached = load(path) { return cached }
        let compiled = try SeccompCompiler.compile(profile)
        // Profiles with rules libseccomp skipped or notify actions are rare: not worth caching.
        if compiled.skippedSyscalls.isEmpty && !compiled.needsNotify {
            var bytes = withUnsafeBytes(of: compiled.flags.littleEndian) { Array($0) }
            bytes += compiled.filter
            if (try? Files.writeAtomically(path, bytes, mode: 0o600)) != nil { prune(sparing: path) }
        }
        return compiled
    }

    /// Removes the least recently written cache files beyond `keep` (a miss is rare: the
    /// listing costs nothing on the hot path).
    private func prune(sparing path: String) {
        var files: [(path: String, mtime: Int)] = []
        for name in Files.listDirectory(dir) where name.hasPrefix(".seccomp-") && name.hasSuffix(".bpf") {
            var st = stat()
            if stat(dir + "/" + name, &st) == 0 { files.append((dir + "/" + name, st.st_mtim.tv_sec)) }
        }
        guard files.count > keep else { return }
        for old in files.sorted(by: { $0.mtime < $1.mtime }).prefix(files.count - keep) where old.path != path {
            unlink(old.path)
        }
    }

    /// Root only, in a dir of root's that nobody else may write to: an unprivileged husk's
    /// state root is checked only later in create (and its user's files are not worth the risk).
    private var usable: Bool {
        var st = stat()
        return geteuid() == 0 && stat(dir, &st) == 0 && st.st_uid == 0 && st.st_mode & 0o022 == 0
    }

    private func load(_ path: String) -> CompiledSeccomp? {
        var st = stat()
        // Only a file of our own that nobody else may have written.
        guard stat(path, &st) == 0, st.st_uid == geteuid(), st.st_mode & 0o022 == 0,
              let bytes = try? Files.read(path), bytes.count > 4, (bytes.count - 4) % 8 == 0 else { return nil }
        let flags = bytes[0..<4].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        return CompiledSeccomp(filter: Array(bytes[4...]), flags: flags, needsNotify: false)
    }

    /// SHA-256 of every field of the profile, the binary's identity and the boot ID.
    /// (Spelled out field by field: `String(reflecting:)` cost more than it saved.)
    private func key(_ profile: LinuxSeccomp) -> String? {
        var st = stat()
        guard stat("/proc/self/exe", &st) == 0 else { return nil }
        var h = FieldHash()
        h.add("\(st.st_dev)|\(st.st_ino)|\(st.st_size)|\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)")
        // libseccomp asks the kernel what it supports: another boot may have another kernel.
        h.add((try? Files.readString("/proc/sys/kernel/random/boot_id")) ?? "")
        h.add(profile.defaultAction)
        h.add(profile.defaultErrnoRet.map { String($0) } ?? "-")
        h.add(profile.architectures.joined(separator: ","))
        h.add(profile.flags.map { $0.joined(separator: ",") } ?? "-")
        h.add(profile.listenerPath ?? "-")
        h.add(profile.listenerMetadata ?? "-")
        for rule in profile.syscalls {
            h.add(rule.names)
            h.add(rule.action)
            h.add(rule.errnoRet.map { String($0) } ?? "-")
            for a in rule.args { h.add("\(a.index) \(a.value) \(a.valueTwo) \(a.op)") }
            h.add(";")
        }
        return h.hex
    }
}

/// SHA-256 of a sequence of fields (each ended by a 0 byte). A cryptographic hash, since
/// whoever writes a config chooses the profile's text: with a weak hash they could craft a
/// profile whose key is another container's and have that container load their filter.
/// The fields are gathered first and hashed in one pass (a hash update per field cost more
/// than the hashing).
private struct FieldHash {
    private var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(8192) }

    mutating func add(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(0)
    }

    /// A list as one field, its items joined by ",".
    mutating func add(_ items: [String]) {
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: item.utf8)
        }
        bytes.append(0)
    }

    var hex: String {
        mutating get {
            var context = cimg_sha256()
            cimg_sha256_init(&context)
            cimg_sha256_update(&context, bytes, bytes.count)
            var digest = [UInt8](repeating: 0, count: 32)
            cimg_sha256_final(&context, &digest)
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
        }
    }
}
