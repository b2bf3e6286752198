/// One tar entry after ustar, pax ('x') and GNU long-name ('L'/'K') headers are folded in.
public struct TarEntry: Sendable {
    public enum Kind: Sendable, Equatable { case file, hardlink, symlink, charDevice, blockDevice, directory, fifo }
    public var kind: Kind
    public var path: String
    public var linkTarget: String = ""
    public var mode: UInt32 = 0o644
    public var uid: Int = 0
    public var gid: Int = 0
    public var size: Int64 = 0
    public var mtime: Int64 = 0
    public var mtimeNanoseconds: Int = 0
    public var devMajor: UInt32 = 0
    public var devMinor: UInt32 = 0
    /// From pax `SCHILY.xattr.NAME` records, in archive order.
    public var xattrs: [(name: String, value: [UInt8])] = []

    public init(kind: Kind, path: String) { self.kind = kind; self.path = path }
}

/// A streaming tar reader: ustar, pax extended headers (path, linkpath, size, uid, gid, mtime,
/// SCHILY.xattr.*), GNU long names. Header checksums are verified; extension headers are limited
/// to `maxExtendedHeader` bytes so a hostile archive cannot make husk allocate without bound.
public final class TarReader: ByteReader {
    public static let maxExtendedHeader = 1 << 20

    private let source: any ByteReader
    private var buffer = [UInt8](repeating: 0, count: 65536)
    private var start = 0, end = 0
    private var remaining: Int64 = 0   // data bytes of the current entry not yet read
    private var padding: Int64 = 0     // zero bytes after them
    private var finished = false
    public private(set) var entryIndex = 0

    public init(_ source: any ByteReader) { self.source = source }

    private func fill() throws(ImageError) -> Bool {
        if start < end { return true }
        start = 0
        end = try source.read(into: &buffer)
        return end > 0
    }

    /// Reads exactly n bytes, or nil at a clean end of input before any byte.
    private func readExactly(_ n: Int) throws(ImageError) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(n)
        while out.count < n {
            guard try fill() else {
                if out.isEmpty { return nil }
                throw ImageError("tar: unexpected end of archive (entry \(entryIndex))")
            }
            let take = min(n - out.count, end - start)
            out.append(contentsOf: buffer[start..<(start + take)])
            start += take
        }
        return out
    }

    private func skip(_ n: Int64) throws(ImageError) {
        var left = n
        while left > 0 {
            guard try fill() else { throw ImageError("tar: unexpected end of archive (entry \(entryIndex))") }
            let take = Int(min(left, Int64(end - start)))
            start += take
            left -= Int64(take)
        }
    }

    /// Reads data of the current entry; 0 at its end.
    public func read(_ buf: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        if remaining == 0 || buf.count == 0 { return 0 }
        guard try fill() else { throw ImageError("tar: unexpected end of archive in the data of entry \(entryIndex)") }
        let take = Int(min(Int64(buf.count), remaining, Int64(end - start)))
        buffer.withUnsafeBytes { src in buf.baseAddress!.copyMemory(from: src.baseAddress! + start, byteCount: take) }
        start += take
        remaining -= Int64(take)
        return take
    }

    /// The current entry's data, refused above `limit` bytes.
    public func readData(limit: Int) throws(ImageError) -> [UInt8] {
        if remaining > Int64(limit) { throw ImageError("tar: entry \(entryIndex) has \(remaining) bytes, more than the \(limit) allowed here") }
        guard let bytes = try readExactly(Int(remaining)) else { throw ImageError("tar: unexpected end of archive") }
        remaining = 0
        return bytes
    }

    /// The next entry, or nil at the end of the archive.
    public func next() throws(ImageError) -> TarEntry? {
        if finished { return nil }
        try skip(remaining + padding)
        remaining = 0
        padding = 0
        var pax: [String: [UInt8]] = [:]
        var xattrs: [(name: String, value: [UInt8])] = []
        var longName: String? = nil
        var longLink: String? = nil
        while true {
            guard let header = try readExactly(512) else { finished = true; return nil }  // EOF without end blocks
            if header.allSatisfy({ $0 == 0 }) { finished = true; return nil }
            entryIndex += 1
            try verifyChecksum(header)
            let type = header[156]
            let size = try number(header, 124, 12, field: "size")
            if size < 0 { throw ImageError("tar: entry \(entryIndex): negative size") }
            let pad = (512 - size % 512) % 512
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
                if size > Int64(Self.maxExtendedHeader) {
                    throw ImageError("tar: entry \(entryIndex): extended header of \(size) bytes exceeds the \(Self.maxExtendedHeader)-byte limit")
                }
                guard let data = try readExactly(Int(size)) else { throw ImageError("tar: unexpected end of archive") }
                try skip(pad)
                if type == UInt8(ascii: "x") {
                    for (k, v) in try parsePax(data) {
                        if k.hasPrefix("SCHILY.xattr.") { xattrs.append((String(k.dropFirst(13)), v)) } else { pax[k] = v }
                    }
                } else if type == UInt8(ascii: "L") {
                    longName = cString(data[...])
                } else if type == UInt8(ascii: "K") {
                    longLink = cString(data[...])
                }
                continue
            default:
                break
            }
            var kind: TarEntry.Kind
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
            case UInt8(ascii: "1"): kind = .hardlink
            case UInt8(ascii: "2"): kind = .symlink
            case UInt8(ascii: "3"): kind = .charDevice
            case UInt8(ascii: "4"): kind = .blockDevice
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "6"): kind = .fifo
            default:
                throw ImageError("tar: entry \(entryIndex): unsupported type '\(String(UnicodeScalar(type)))'")
            }
            var name = cString(header[0..<100])
            let isUstar = header[257..<262].elementsEqual("ustar".utf8)
            if isUstar {
                let prefix = cString(header[345..<500])
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            if let longName { name = longName }
            if let p = pax["path"] { name = String(decoding: p, as: UTF8.self) }
            var entry = TarEntry(kind: kind, path: name)
            entry.linkTarget = longLink ?? cString(header[157..<257])
            if let l = pax["linkpath"] { entry.linkTarget = String(decoding: l, as: UTF8.self) }
            entry.mode = UInt32(truncatingIfNeeded: try number(header, 100, 8, field: "mode")) & 0o7777
            entry.uid = Int(try number(header, 108, 8, field: "uid"))
            entry.gid = Int(try number(header, 116, 8, field: "gid"))
            entry.mtime = try number(header, 136, 12, field: "mtime")
            entry.size = size
            if isUstar && (kind == .charDevice || kind == .blockDevice) {
                entry.devMajor = UInt32(truncatingIfNeeded: try number(header, 329, 8, field: "devmajor"))
                entry.devMinor = UInt32(truncatingIfNeeded: try number(header, 337, 8, field: "devminor"))
            }
            if let v = pax["uid"].flatMap({ Int(String(decoding: $0, as: UTF8.self)) }) { entry.uid = v }
            if let v = pax["gid"].flatMap({ Int(String(decoding: $0, as: UTF8.self)) }) { entry.gid = v }
            if let v = pax["size"] {
                guard let s = Int64(String(decoding: v, as: UTF8.self)), s >= 0 else { throw ImageError("tar: entry \(entryIndex): bad pax size") }
                entry.size = s
            }
            if let v = pax["mtime"] {
                let text = String(decoding: v, as: UTF8.self)
                let parts = text.split(separator: ".", maxSplits: 1)
                if let s = Int64(parts[0]) { entry.mtime = s }
                if parts.count == 2 { entry.mtimeNanoseconds = Int(String(parts[1].prefix(9)).padding(toLength9: ())) ?? 0 }
            }
            entry.xattrs = xattrs
            // Links, directories and devices are header-only (as Go's archive/tar reads them).
            if kind != .file { entry.size = 0 }
            remaining = entry.size
            padding = (512 - remaining % 512) % 512
            return entry
        }
    }

    private func verifyChecksum(_ h: [UInt8]) throws(ImageError) {
        guard let stored = try? number(h, 148, 8, field: "checksum") else { throw ImageError("tar: entry \(entryIndex): bad header checksum field") }
        var sum: Int64 = 0
        for i in 0..<512 { sum += Int64((148..<156).contains(i) ? 32 : h[i]) }
        if sum != stored { throw ImageError("tar: entry \(entryIndex): header checksum mismatch (not a tar archive, or corrupt)") }
    }

    /// Octal (NUL/space terminated) or GNU base-256 (high bit set).
    private func number(_ h: [UInt8], _ offset: Int, _ length: Int, field: String) throws(ImageError) -> Int64 {
        let f = h[offset..<(offset + length)]
        if let first = f.first, first & 0x80 != 0 {
            var v: Int64 = Int64(first & 0x7f)
            for b in f.dropFirst() {
                if v > (Int64.max >> 8) { throw ImageError("tar: entry \(entryIndex): \(field) overflows") }
                v = v << 8 | Int64(b)
            }
            return v
        }
        var v: Int64 = 0
        var seen = false
        for b in f {
            if b == 0 || b == 32 { if seen { break } else { continue } }
            guard b >= 48 && b <= 55 else { throw ImageError("tar: entry \(entryIndex): \(field) is not an octal number") }
            if v > (Int64.max >> 3) { throw ImageError("tar: entry \(entryIndex): \(field) overflows") }
            v = v << 3 | Int64(b - 48)
            seen = true
        }
        return v
    }

    /// pax records: "LEN key=value\n", LEN counting the whole record.
    private func parsePax(_ data: [UInt8]) throws(ImageError) -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        var i = 0
        while i < data.count {
            if data[i] == 0 { break }
            var j = i
            var len = 0
            while j < data.count, data[j] >= 48, data[j] <= 57 { len = len * 10 + Int(data[j] - 48); j += 1; if len > data.count { break } }
            guard j < data.count, data[j] == 32, len > j - i + 1, i + len <= data.count, data[i + len - 1] == 10 else {
                throw ImageError("tar: entry \(entryIndex): malformed pax record")
            }
            let record = data[(j + 1)..<(i + len - 1)]
            guard let eq = record.firstIndex(of: UInt8(ascii: "=")) else { throw ImageError("tar: entry \(entryIndex): pax record without '='") }
            out.append((String(decoding: record[..<eq], as: UTF8.self), Array(record[(eq + 1)...])))
            i += len
        }
        return out
    }

    private func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}

private extension String {
    /// "5" → "500000000": a fraction's digits as nanoseconds.
    func padding(toLength9: Void) -> String { self + String(repeating: "0", count: max(0, 9 - count)) }
}

