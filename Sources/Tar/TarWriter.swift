import Glibc
import Sys

/// A streaming tar writer: POSIX ustar headers, with a pax extended header ('x') in front of
/// an entry whose path or link target does not fit ustar's name/prefix fields, or whose size,
/// ids or times overflow its octal fields. Writes through `sink` in 512-byte blocks; `finish()`
/// appends the two zero blocks that end an archive.
///
/// The one tar writer of husk: OCI layer tarballs (`husk sandbox --export-changes`), OCI
/// archives (`husk image export`), and the tests' archives (hostile ones too: `verbatimPaths`,
/// `addRaw`). The Images module's reader reads the same format.
public final class TarWriter {
    public enum Kind: Sendable, Equatable {
        case file, directory, symlink(target: String), hardlink(target: String)
        case characterDevice(major: UInt32, minor: UInt32), blockDevice(major: UInt32, minor: UInt32), fifo

        var typeflag: UInt8 {
            switch self {
            case .file: UInt8(ascii: "0")
            case .hardlink: UInt8(ascii: "1")
            case .symlink: UInt8(ascii: "2")
            case .characterDevice: UInt8(ascii: "3")
            case .blockDevice: UInt8(ascii: "4")
            case .directory: UInt8(ascii: "5")
            case .fifo: UInt8(ascii: "6")
            }
        }
    }

    /// One archive member. `path` is relative (no leading "/"); directories get a trailing "/" in the archive.
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var kind: Kind
        public var mode: UInt32 = 0o644
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0
        public var size: UInt64 = 0
        public var mtime: Int64 = 0
        /// Extended attributes, written as pax `SCHILY.xattr.NAME` records.
        public var xattrs: [Xattr] = []

        public init(path: String, kind: Kind, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0, size: UInt64 = 0, mtime: Int64 = 0) {
            self.path = path
            self.kind = kind
            self.mode = mode
            self.uid = uid
            self.gid = gid
            self.size = size
            self.mtime = mtime
        }
    }

    public struct Xattr: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]
        public init(name: String, value: [UInt8]) { self.name = name; self.value = value }
    }

    public static let blockSize = 512
    /// Write paths exactly as given (no leading "/" stripped, no "/" added to directories):
    /// only tests want this, to build hostile archives.
    public var verbatimPaths = false
    private let sink: ([UInt8]) throws(SysError) -> Void
    private var buffer: [UInt8] = []
    /// Bytes of the current file's content still expected by `writeContent`.
    private var pending: UInt64 = 0
    private var written: UInt64 = 0

    public init(sink: @escaping ([UInt8]) throws(SysError) -> Void) {
        self.sink = sink
        buffer.reserveCapacity(1 << 16)
    }

    /// A writer appending to an open fd.
    public convenience init(fd: Int32, path: String) {
        self.init { (bytes: [UInt8]) throws(SysError) in try Files.writeAll(fd, bytes, path: path) }
    }

    /// Writes the header(s) of `entry`; for a file, `writeContent` must then supply exactly `entry.size` bytes.
    public func add(_ entry: Entry) throws(SysError) {
        precondition(pending == 0, "tar: previous file content incomplete")
        var name = entry.path
        if !verbatimPaths {
            while name.hasPrefix("/") { name.removeFirst() }
            if entry.kind == .directory && !name.hasSuffix("/") { name += "/" }
        }
        let link: String
        switch entry.kind {
        case let .symlink(t), let .hardlink(t): link = t
        default: link = ""
        }
        let size: UInt64 = entry.kind == .file ? entry.size : 0

        var pax: [(String, [UInt8])] = []
        let split = TarWriter.splitUstarName(name)
        if split == nil { pax.append(("path", Array(name.utf8))) }
        if link.utf8.count > 100 { pax.append(("linkpath", Array(link.utf8))) }
        if size > 0o777_7777_7777 { pax.append(("size", Array(String(size).utf8))) }
        if entry.uid > 0o7777777 { pax.append(("uid", Array(String(entry.uid).utf8))) }
        if entry.gid > 0o7777777 { pax.append(("gid", Array(String(entry.gid).utf8))) }
        if entry.mtime < 0 || entry.mtime > 0o777_7777_7777 { pax.append(("mtime", Array(String(entry.mtime).utf8))) }
        for x in entry.xattrs { pax.append(("SCHILY.xattr." + x.name, x.value)) }
        if !pax.isEmpty { try addPax(pax, name: "PaxHeaders/" + String(name.suffix(80)).filter { $0 != "/" }) }
        var major: UInt32 = 0, minor: UInt32 = 0
        if case let .characterDevice(a, b) = entry.kind { (major, minor) = (a, b) }
        if case let .blockDevice(a, b) = entry.kind { (major, minor) = (a, b) }
        let ustarName = split ?? (prefix: "", name: String(decoding: Array(name.utf8).prefix(100), as: UTF8.self))
        var h = TarWriter.header(name: ustarName, mode: entry.mode & 0o7777, uid: min(entry.uid, 0o7777777),
                                 gid: min(entry.gid, 0o7777777), size: min(size, 0o777_7777_7777),
                                 mtime: max(0, min(entry.mtime, 0o777_7777_7777)), typeflag: entry.kind.typeflag,
                                 link: String(decoding: Array(link.utf8).prefix(100), as: UTF8.self), major: major, minor: minor)
        h.withUnsafeMutableBufferPointer { TarWriter.setChecksum($0) }
        try emit(h)
        pending = size
        written = 0
        if size == 0 { pending = 0 }
    }

    /// A pax extended header ('x') with these records, applying to the next entry.
    public func addPax(_ records: [(String, [UInt8])], name: String = "PaxHeaders/x") throws(SysError) {
        let body = TarWriter.paxRecords(records)
        var h = TarWriter.header(name: (prefix: "", name: String(name.prefix(100))), mode: 0o644, uid: 0, gid: 0,
                                 size: UInt64(body.count), mtime: 0, typeflag: UInt8(ascii: "x"), link: "", major: 0, minor: 0)
        h.withUnsafeMutableBufferPointer { TarWriter.setChecksum($0) }
        try emit(h)
        try emit(body)
        try pad(body.count)
    }

    /// A header of any type whose declared size (base-256 when octal cannot hold it) need not
    /// match `data`, then `data` padded to a block: tests build malformed archives with it.
    public func addRaw(name: String, typeflag: UInt8, declaredSize: UInt64, data: [UInt8]) throws(SysError) {
        precondition(pending == 0, "tar: previous file content incomplete")
        var h = TarWriter.header(name: (prefix: "", name: name), mode: 0o644, uid: 0, gid: 0, size: min(declaredSize, 0o777_7777_7777),
                                 mtime: 0, typeflag: typeflag, link: "", major: 0, minor: 0)
        if declaredSize > 0o777_7777_7777 {
            h[124] = 0x80
            var v = declaredSize
            for i in stride(from: 135, through: 125, by: -1) { h[i] = UInt8(v & 0xff); v >>= 8 }
        }
        h.withUnsafeMutableBufferPointer { TarWriter.setChecksum($0) }
        try emit(h)
        try emit(data)
        try pad(data.count)
    }

    /// Content of the file last added.
    public func writeContent(_ bytes: ArraySlice<UInt8>) throws(SysError) {
        precondition(UInt64(bytes.count) <= pending, "tar: more content than the header's size")
        try emit(Array(bytes))
        pending -= UInt64(bytes.count)
        written += UInt64(bytes.count)
        if pending == 0 { try pad(Int(written % UInt64(TarWriter.blockSize))) }
    }

    /// Adds a regular file with `bytes` as content.
    public func addFile(_ entry: Entry, contents bytes: [UInt8]) throws(SysError) {
        var e = entry
        e.kind = .file
        e.size = UInt64(bytes.count)
        try add(e)
        if !bytes.isEmpty { try writeContent(bytes[...]) }
    }

    /// Copies an open file's content (exactly the size given to `add`; a file that shrank is zero-padded).
    public func copyContent(from fd: Int32, path: String) throws(SysError) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while pending > 0 {
            let want = Int(min(UInt64(chunk.count), pending))
            let n = try retrying("read", path: path) { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) } }
            if n == 0 {
                try writeContent([UInt8](repeating: 0, count: want)[...])
                continue
            }
            try writeContent(chunk[0..<n])
        }
    }

    /// The end-of-archive marker (two zero blocks), then flushes.
    public func finish() throws(SysError) {
        precondition(pending == 0, "tar: last file content incomplete")
        try emit([UInt8](repeating: 0, count: 2 * TarWriter.blockSize))
        try flush()
    }

    public func flush() throws(SysError) {
        if buffer.isEmpty { return }
        let out = buffer
        buffer.removeAll(keepingCapacity: true)
        try sink(out)
    }

    private func emit(_ bytes: [UInt8]) throws(SysError) {
        buffer += bytes
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func pad(_ count: Int) throws(SysError) {
        let r = count % TarWriter.blockSize
        if r != 0 { try emit([UInt8](repeating: 0, count: TarWriter.blockSize - r)) }
    }

    // MARK: format

    /// ustar's name (100 bytes) and prefix (155 bytes) split at a "/", or nil when it cannot hold `path`.
    static func splitUstarName(_ path: String) -> (prefix: String, name: String)? {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        if bytes.count > 256 { return nil }
        // The name part must be ≤ 100 bytes and the prefix ≤ 155: split at the first "/" that allows both.
        // A trailing "/" (directories) stays in the name part.
        for i in bytes.indices where bytes[i] == UInt8(ascii: "/") && i > 0 {
            let prefix = bytes[..<i], name = bytes[(i + 1)...]
            if prefix.count <= 155 && name.count <= 100 && !name.isEmpty {
                return (String(decoding: prefix, as: UTF8.self), String(decoding: name, as: UTF8.self))
            }
        }
        return nil
    }

    /// pax records "LEN key=value\n", where LEN counts the whole record including its own digits.
    static func paxRecords(_ pairs: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (k, v) in pairs {
            let body = 1 + k.utf8.count + 1 + v.count + 1
            var len = body + String(body).count
            if String(len).count != String(body).count { len = body + String(len).count }
            out += Array("\(len) \(k)=".utf8) + v + [10]
        }
        return out
    }

    static func header(name: (prefix: String, name: String), mode: UInt32, uid: UInt32, gid: UInt32, size: UInt64,
                       mtime: Int64, typeflag: UInt8, link: String, major: UInt32, minor: UInt32) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, _ offset: Int, _ width: Int) {
            for (i, b) in text.utf8.prefix(width).enumerated() { h[offset + i] = b }
        }
        func octal(_ value: UInt64, _ offset: Int, _ width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, offset, width - 1)
        }
        put(name.name, 0, 100)
        octal(UInt64(mode), 100, 8)
        octal(UInt64(uid), 108, 8)
        octal(UInt64(gid), 116, 8)
        octal(size, 124, 12)
        octal(UInt64(mtime), 136, 12)
        for i in 148..<156 { h[i] = UInt8(ascii: " ") }
        h[156] = typeflag
        put(link, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        put(uid == 0 ? "root" : "", 265, 32)
        put(gid == 0 ? "root" : "", 297, 32)
        if typeflag == UInt8(ascii: "3") || typeflag == UInt8(ascii: "4") {
            octal(UInt64(major), 329, 8)
            octal(UInt64(minor), 337, 8)
        }
        put(name.prefix, 345, 155)
        return h
    }

    static func setChecksum(_ h: UnsafeMutableBufferPointer<UInt8>) {
        let sum = h.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        let text = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        for (i, b) in text.utf8.enumerated() { h[148 + i] = b }
        h[154] = 0
        h[155] = UInt8(ascii: " ")
    }
}
