import Images
import Sys
import Tar

/// An archive in memory for the tests, written by the shared Tar.TarWriter with paths kept as
/// given (so tests can build hostile archives: "../x", "/abs"), plus raw headers and pax records.
struct TarBuilder {
    private final class Sink { var bytes: [UInt8] = [] }
    private let sink = Sink()
    private let writer: TarWriter

    init() {
        let sink = self.sink
        writer = TarWriter { (b: [UInt8]) throws(SysError) in sink.bytes += b }
        writer.verbatimPaths = true
    }

    var bytes: [UInt8] { try! writer.flush(); return sink.bytes }

    mutating func add(_ entry: TarEntry, data: [UInt8] = []) {
        let kind: TarWriter.Kind
        switch entry.kind {
        case .file: kind = .file
        case .hardlink: kind = .hardlink(target: entry.linkTarget)
        case .symlink: kind = .symlink(target: entry.linkTarget)
        case .charDevice: kind = .characterDevice(major: entry.devMajor, minor: entry.devMinor)
        case .blockDevice: kind = .blockDevice(major: entry.devMajor, minor: entry.devMinor)
        case .directory: kind = .directory
        case .fifo: kind = .fifo
        }
        var e = TarWriter.Entry(path: entry.path, kind: kind, mode: entry.mode, uid: UInt32(entry.uid), gid: UInt32(entry.gid),
                                size: entry.kind == .file ? UInt64(data.count) : 0, mtime: entry.mtime)
        e.xattrs = entry.xattrs.map { TarWriter.Xattr(name: $0.name, value: $0.value) }
        try! writer.add(e)
        if entry.kind == .file && !data.isEmpty { try! writer.writeContent(data[...]) }
    }

    mutating func addPax(_ records: [(String, [UInt8])]) { try! writer.addPax(records) }

    mutating func addRaw(name: String, type: UInt8, size: Int, data: [UInt8]) {
        try! writer.addRaw(name: name, typeflag: type, declaredSize: UInt64(size), data: data)
    }

    mutating func finish() { try! writer.finish() }
}
