/// A response body, framed by Content-Length, chunked transfer coding, or the end of the
/// connection. `read` returns 0 at the end; a body cut short throws a transient error.
public final class Body {
    enum Framing {
        case none
        case length(Int64)
        case chunked
        case untilClose
    }

    private let input: Input
    private let framing: Framing
    private var remaining: Int64 = 0      // of a Content-Length body, or of the current chunk
    private var chunkState = ChunkState.size
    public private(set) var delivered: Int64 = 0
    public private(set) var finished = false
    private let onFinish: (Bool) -> Void

    enum ChunkState { case size, data, dataEnd, done }

    init(_ input: Input, framing: Framing, onFinish: @escaping (Bool) -> Void = { _ in }) {
        self.input = input
        self.framing = framing
        self.onFinish = onFinish
        if case .length(let n) = framing { remaining = n }
        if case .none = framing { finish(true) }
        if case .length(0) = framing { finish(true) }
    }

    /// The declared length (Content-Length), if there is one.
    public var declaredLength: Int64? {
        if case .length(let n) = framing { return n }
        return nil
    }

    private func finish(_ clean: Bool) {
        if finished { return }
        finished = true
        onFinish(clean)
    }

    public func read(_ buf: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
        if finished || buf.count == 0 { return 0 }
        switch framing {
        case .none:
            return 0
        case .untilClose:
            let n = try input.read(buf)
            if n == 0 { finish(false) }
            delivered += Int64(n)
            return n
        case .length(let total):
            let want = Int(min(Int64(buf.count), remaining))
            let n = try input.read(UnsafeMutableRawBufferPointer(rebasing: buf[0..<want]))
            if n == 0 {
                finish(false)
                throw HTTPError("connection closed after \(total - remaining) of \(total) body bytes", transient: true)
            }
            remaining -= Int64(n)
            delivered += Int64(n)
            if remaining == 0 { finish(true) }
            return n
        case .chunked:
            return try readChunked(buf)
        }
    }

    private func readChunked(_ buf: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
        while true {
            switch chunkState {
            case .size:
                guard let line = try input.readLine() else {
                    throw HTTPError("connection closed in a chunked body (after \(delivered) bytes)", transient: true)
                }
                remaining = try Body.chunkSize(line)
                if remaining == 0 {
                    // Trailer fields, up to the empty line.
                    while true {
                        guard let t = try input.readLine() else { throw HTTPError("connection closed in the trailer of a chunked body", transient: true) }
                        if t.isEmpty { break }
                    }
                    chunkState = .done
                    finish(true)
                    return 0
                }
                chunkState = .data
            case .data:
                let want = Int(min(Int64(buf.count), remaining))
                let n = try input.read(UnsafeMutableRawBufferPointer(rebasing: buf[0..<want]))
                if n == 0 { throw HTTPError("connection closed in a chunk (after \(delivered) bytes)", transient: true) }
                remaining -= Int64(n)
                delivered += Int64(n)
                if remaining == 0 { chunkState = .dataEnd }
                return n
            case .dataEnd:
                guard let l = try input.readLine() else { throw HTTPError("connection closed after a chunk", transient: true) }
                if !l.isEmpty { throw HTTPError("malformed chunked body: chunk data not followed by CRLF") }
                chunkState = .size
            case .done:
                return 0
            }
        }
    }

    /// The hex size at the start of a chunk-size line (extensions after ';' ignored).
    static func chunkSize(_ line: String) throws(HTTPError) -> Int64 {
        let hex = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map { $0.trimmingSpaces } ?? ""
        guard !hex.isEmpty, hex.count <= 15, let n = Int64(hex, radix: 16), n >= 0 else {
            throw HTTPError("malformed chunked body: bad chunk size \"\(line.prefix(40))\"")
        }
        return n
    }

    /// The whole body (small ones: manifests, tokens, error documents).
    public func readAll(limit: Int) throws(HTTPError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = try read(into: &chunk)
            if n == 0 { return out }
            out += chunk[0..<n]
            if out.count > limit { throw HTTPError("response body larger than \(limit) bytes") }
        }
    }

    public func read(into chunk: inout [UInt8]) throws(HTTPError) -> Int {
        var result: Result<Int, HTTPError> = .success(0)
        chunk.withUnsafeMutableBytes { b in
            do throws(HTTPError) { result = .success(try self.read(b)) } catch { result = .failure(error) }
        }
        return try result.get()
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension String {
    var trimmingSpaces: String { self[...].trimmingSpaces }
}
