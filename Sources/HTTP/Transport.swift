import CNet
import Glibc

/// A byte stream to a server: a socket (TCP or TLS) here, memory in unit tests.
public protocol Transport: AnyObject {
    /// Up to buf.count bytes; 0 when the peer has closed.
    func read(_ buf: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int
    func write(_ bytes: [UInt8]) throws(HTTPError)
    func close()
    /// Whether an idle kept-alive connection still looks usable (open, nothing unread).
    func idleAndOpen() -> Bool
}

extension Transport {
    public func idleAndOpen() -> Bool { false }
}

/// TLS settings for every connection of one client (the SSL_CTX is built once, on first use).
final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer

    init(verify: Bool, caFile: String?) throws(HTTPError) {
        var err = [CChar](repeating: 0, count: 512)
        guard let p = cnet_tls_new(verify ? 1 : 0, caFile, &err, err.count) else { throw HTTPError(String(cString: err)) }
        pointer = p
    }

    deinit { cnet_tls_free(pointer) }
}

/// A connection through CNet; reads and writes give up after `timeoutMs` without progress.
final class SocketTransport: Transport {
    private var conn: OpaquePointer?
    private let label: String

    init(host: String, port: Int, tls: TLSContext?, timeoutMs: Int) throws(HTTPError) {
        var err = [CChar](repeating: 0, count: 512)
        guard let c = cnet_connect(host, Int32(port), tls?.pointer, Int32(timeoutMs), &err, err.count) else {
            let message = String(cString: err)
            // A failed TLS handshake (bad certificate, not TLS) will not change on retry; a refused
            // or timed-out connection may.
            // An unknown host name will not appear either (a temporary DNS failure may pass).
            let permanent = (message.hasPrefix("TLS") && !message.contains("timed out")) || message.contains("Name or service not known")
            throw HTTPError(message, transient: !permanent)
        }
        conn = c
        label = "\(host):\(port)"
    }

    func read(_ buf: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
        guard let conn else { return 0 }
        let n = cnet_read(conn, buf.baseAddress, buf.count)
        if n < 0 { throw HTTPError("\(label): \(String(cString: cnet_error(conn)))", transient: true) }
        return n
    }

    func write(_ bytes: [UInt8]) throws(HTTPError) {
        guard let conn else { throw HTTPError("\(label): write on a closed connection", transient: true) }
        let rc = bytes.withUnsafeBytes { cnet_write(conn, $0.baseAddress, $0.count) }
        if rc != 0 { throw HTTPError("\(label): \(String(cString: cnet_error(conn)))", transient: true) }
    }

    func close() {
        if let conn { cnet_close(conn) }
        conn = nil
    }

    func idleAndOpen() -> Bool {
        guard let conn else { return false }
        return cnet_idle(conn) == 1
    }

    deinit { close() }
}

/// Buffered reading of lines (the status line and headers) and raw bytes (bodies).
final class Input {
    let transport: Transport
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0

    init(_ transport: Transport) { self.transport = transport }

    /// Bytes read from the transport and not consumed yet.
    var hasBuffered: Bool { start < end }

    /// Waits for the first byte of an answer: false when the peer closed first.
    func awaitData() throws(HTTPError) -> Bool {
        if start < end { return true }
        return try fill()
    }

    private func fill() throws(HTTPError) -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            // Compact to make room (a long header line).
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
            if end == buffer.count { return false }
        }
        let free = buffer.count - end
        var result: Result<Int, HTTPError> = .success(0)
        let e = end
        buffer.withUnsafeMutableBytes { b in
            do throws(HTTPError) {
                result = .success(try transport.read(UnsafeMutableRawBufferPointer(rebasing: b[e..<(e + free)])))
            } catch { result = .failure(error) }
        }
        let n = try result.get()
        end += n
        return n > 0
    }

    /// One CRLF- (or LF-) terminated line without its terminator; nil at EOF before any byte.
    func readLine(limit: Int = 16384) throws(HTTPError) -> String? {
        var line: [UInt8] = []
        while true {
            if start == end {
                if try !fill() {
                    if line.isEmpty { return nil }
                    throw HTTPError("connection closed in the middle of a header line", transient: true)
                }
            }
            while start < end {
                let b = buffer[start]
                start += 1
                if b == 10 {
                    if line.last == 13 { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                line.append(b)
                if line.count > limit { throw HTTPError("header line longer than \(limit) bytes") }
            }
        }
    }

    /// Up to buf.count bytes, from the buffer first; 0 at EOF.
    func read(_ buf: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
        if buf.count == 0 { return 0 }
        if start == end {
            // Large reads bypass the buffer.
            if buf.count >= buffer.count { return try transport.read(buf) }
            if try !fill() { return 0 }
        }
        let n = min(buf.count, end - start)
        buffer.withUnsafeBytes { src in buf.baseAddress!.copyMemory(from: src.baseAddress! + start, byteCount: n) }
        start += n
        return n
    }
}
