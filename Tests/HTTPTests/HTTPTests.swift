@testable import HTTP
import Testing

/// A transport that replays bytes in small pieces (to cross every buffer boundary) and records writes.
final class ScriptedTransport: Transport {
    private let bytes: [UInt8]
    private var offset = 0
    private let piece: Int
    var written: [UInt8] = []

    init(_ text: String, piece: Int = 3) { bytes = Array(text.utf8); self.piece = piece }

    func read(_ buf: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
        let n = min(buf.count, piece, bytes.count - offset)
        for i in 0..<n { buf[i] = bytes[offset + i] }
        offset += n
        return n
    }
    func write(_ b: [UInt8]) throws(HTTPError) { written += b }
    func close() {}
}

func response(_ text: String, method: String = "GET", piece: Int = 3) throws(HTTPError) -> HTTPResponse {
    try HTTPResponse.read(Input(ScriptedTransport(text, piece: piece)), method: method, url: HTTPURL(scheme: "http", host: "example.test"))
}

func bodyText(_ r: HTTPResponse) throws(HTTPError) -> String {
    String(decoding: try r.body.readAll(limit: 1 << 20), as: UTF8.self)
}

@Suite struct HTTPTests {
    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let r = try response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\nB\r\n, chunked w\r\n4\r\norld\r\n0\r\nX-Trailer: 1\r\n\r\n")
        #expect(r.status == 200)
        #expect(try bodyText(r) == "hello, chunked world")
        #expect(r.body.finished)
    }

    @Test func chunkedBodyErrors() throws {
        let bad = try response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
        #expect(throws: HTTPError.self) { try bodyText(bad) }
        let cut = try response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort")
        do { _ = try bodyText(cut); Issue.record("a cut chunk must throw") } catch { #expect(error.transient) }
        let noCRLF = try response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n")
        #expect(throws: HTTPError.self) { try bodyText(noCRLF) }
        #expect(try Body.chunkSize("1a") == 26)
        #expect(try Body.chunkSize("FF ;ext") == 255)
        #expect(throws: HTTPError.self) { try Body.chunkSize("") }
        #expect(throws: HTTPError.self) { try Body.chunkSize("-1") }
    }

    @Test func contentLengthBodies() throws {
        let r = try response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  spaced  \r\n\r\nhelloEXTRA")
        #expect(try bodyText(r) == "hello")
        #expect(r.header("x-a") == "spaced")
        let short = try response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello")
        do { _ = try bodyText(short); Issue.record("a short body must throw") } catch {
            #expect(error.transient)
            #expect(error.message.contains("5 of 10"))
        }
        let head = try response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", method: "HEAD")
        #expect(try bodyText(head) == "")
        let untilClose = try response("HTTP/1.0 200 OK\r\n\r\nall of it", piece: 100)
        #expect(try bodyText(untilClose) == "all of it")
    }

    @Test func continueIsSkippedAndJunkIsRefused() throws {
        let r = try response("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno")
        #expect(r.status == 404 && r.reason == "Not Found")
        #expect(throws: HTTPError.self) { try response("\u{16}\u{03}\u{01}garbage\r\n\r\n") }
        #expect(throws: HTTPError.self) { try response("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n") }
        do { _ = try response(""); Issue.record("no response must throw") } catch { #expect(error.transient) }
    }

    /// A kept-alive connection goes back for reuse only once its body has been read to the end.
    @Test func keepAliveHandOver() throws {
        func reused(_ text: String, readBody: Bool = true) throws -> Bool {
            var back = false
            let r = try HTTPResponse.read(Input(ScriptedTransport(text)), method: "GET", url: HTTPURL(scheme: "http", host: "h")) { _ in back = true }
            if readBody { _ = try r.body.readAll(limit: 1000) }
            r.close()
            return back
        }
        #expect(try reused("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        #expect(try reused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"))
        #expect(try reused("HTTP/1.1 204 No Content\r\n\r\n", readBody: false))
        #expect(try !reused("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", readBody: false), "unread body: closed")
        #expect(try !reused("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"))
        #expect(try !reused("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        #expect(try !reused("HTTP/1.1 200 OK\r\n\r\nuntil close"))
        #expect(try !reused("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"), "unexpected bytes after the body")
    }

    @Test func urls() throws {
        let u = try HTTPURL(parsing: "https://Registry.Example:5000/v2/x?y=1")
        #expect(u.host == "registry.example" && u.port == 5000 && u.path == "/v2/x?y=1" && u.authority == "registry.example:5000")
        #expect(try HTTPURL(parsing: "http://h").path == "/")
        #expect(try HTTPURL(parsing: "https://[::1]:8443/a").host == "::1")
        #expect(try HTTPURL(parsing: "https://h/a").authority == "h")
        #expect(throws: HTTPError.self) { try HTTPURL(parsing: "ftp://h/") }
        #expect(throws: HTTPError.self) { try HTTPURL(parsing: "http://h:99999/") }
        let base = try HTTPURL(parsing: "https://reg.example/v2/a/blobs/x")
        #expect(try base.resolving("/other").description == "https://reg.example/other")
        #expect(try base.resolving("https://cdn.example/blob?sig=1").host == "cdn.example")
        #expect(try base.resolving("//cdn.example/b").scheme == "https")
        #expect(try base.resolving("y").path == "/v2/a/blobs/y")
        #expect(base.sameOrigin(try HTTPURL(parsing: "https://reg.example:443/z")))
        #expect(!base.sameOrigin(try HTTPURL(parsing: "http://reg.example/z")))
        #expect(HTTPURL.escape("repository:a/b:pull,push") == "repository%3Aa%2Fb%3Apull%2Cpush")
    }

    @Test func requestSerialization() throws {
        var req = HTTPRequest("GET", try HTTPURL(parsing: "http://127.0.0.1:5000/v2/"), headers: [("Accept", "a")])
        req.setHeader("Authorization", "Bearer t")
        req.setHeader("authorization", "Bearer u")
        let text = String(decoding: req.serialized(), as: UTF8.self)
        #expect(text.hasPrefix("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:5000\r\n"))
        #expect(text.contains("authorization: Bearer u\r\n") && !text.contains("Bearer t"))
        #expect(text.hasSuffix("User-Agent: husk\r\n\r\n") && !text.contains("Connection:"))
    }
}
