import CImages
import Glibc

/// A source of bytes: a file, a decompressed stream, memory. `read` returns 0 at the end.
public protocol ByteReader: AnyObject {
    func read(_ buf: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int
}

public enum Compression: String, Sendable {
    case none, gzip, zstd

    /// By magic bytes: gzip 1f 8b, zstd 28 b5 2f fd.
    public static func detect(_ head: [UInt8]) -> Compression {
        if head.count >= 2 && head[0] == 0x1f && head[1] == 0x8b { return .gzip }
        if head.count >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd { return .zstd }
        return .none
    }
}

public final class MemoryReader: ByteReader {
    private let bytes: [UInt8]
    private var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func read(_ buf: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        let n = min(buf.count, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { src in buf.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n) }
            offset += n
        }
        return n
    }
}

/// Reads an fd (owned: closed by `close` or deinit), decompressing gzip or zstd in C.
public final class FileReader: ByteReader {
    public let path: String
    private var fd: Int32
    private var decoder: OpaquePointer?

    /// Opens `path` (an fd from `fd` if given) and detects its compression when `decompress` is set.
    public init(path: String, fd: Int32? = nil, decompress: Bool = false) throws(ImageError) {
        self.path = path
        let opened = fd ?? open(path, O_RDONLY | O_CLOEXEC)
        if opened < 0 { throw ImageError("open \(path): \(String(cString: strerror(errno)))") }
        self.fd = opened
        var kind: Int32 = 0
        if decompress {
            var head = [UInt8](repeating: 0, count: 4)
            let n = pread(opened, &head, 4, 0)
            switch Compression.detect(Array(head.prefix(max(0, n)))) {
            case .gzip: kind = 1
            case .zstd: kind = 2
            case .none: kind = 0
            }
        }
        guard let d = cimg_decoder_open(opened, kind) else {
            Glibc.close(opened)
            throw ImageError("\(path): cannot start the decompressor")
        }
        decoder = d
    }

    public func read(_ buf: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        guard let decoder else { return 0 }
        let n = cimg_decoder_read(decoder, buf.baseAddress, buf.count)
        if n < 0 { throw ImageError("\(path): \(String(cString: cimg_decoder_error(decoder)))") }
        return n
    }

    public func close() {
        if let decoder { cimg_decoder_close(decoder) }
        decoder = nil
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}

/// Passes bytes through while hashing and counting them.
public final class HashingReader: ByteReader {
    private let inner: any ByteReader
    public private(set) var hasher = SHA256()
    public private(set) var count: Int64 = 0
    public init(_ inner: any ByteReader) { self.inner = inner }
    public func read(_ buf: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        let n = try inner.read(buf)
        if n > 0 {
            hasher.update(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
            count += Int64(n)
        }
        return n
    }
    /// Reads to the end (trailing padding after a tar's end blocks counts in a diff ID) and returns the digest.
    public func drainAndFinalize() throws(ImageError) -> Digest {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while try read(into: &chunk) > 0 {}
        return hasher.finalize()
    }
}

extension ByteReader {
    /// Reads into an array's storage (withUnsafeMutableBytes only rethrows untyped errors).
    public func read(into chunk: inout [UInt8]) throws(ImageError) -> Int {
        var result: Result<Int, ImageError> = .success(0)
        chunk.withUnsafeMutableBytes { b in
            do throws(ImageError) { result = .success(try self.read(b)) } catch { result = .failure(error) }
        }
        return try result.get()
    }
}
