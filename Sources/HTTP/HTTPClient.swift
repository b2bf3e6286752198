import Glibc

public struct HTTPRequest: Sendable {
    public var method: String
    public var url: HTTPURL
    public var headers: [(String, String)]

    public init(_ method: String = "GET", _ url: HTTPURL, headers: [(String, String)] = []) {
        self.method = method; self.url = url; self.headers = headers
    }

    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    public mutating func setHeader(_ name: String, _ value: String?) {
        headers.removeAll { $0.0.lowercased() == name.lowercased() }
        if let value { headers.append((name, value)) }
    }

    func serialized() -> [UInt8] {
        var text = "\(method) \(url.path) HTTP/1.1\r\nHost: \(url.authority)\r\n"
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        if header("User-Agent") == nil { text += "User-Agent: husk\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}

public final class HTTPResponse {
    public let status: Int
    public let reason: String
    public let headers: [(String, String)]
    /// Where the response came from (after redirects).
    public let url: HTTPURL
    public let body: Body
    private let transport: Transport
    private let lease: Lease

    init(status: Int, reason: String, headers: [(String, String)], url: HTTPURL, body: Body, transport: Transport, lease: Lease) {
        self.status = status; self.reason = reason; self.headers = headers; self.url = url; self.body = body
        self.transport = transport; self.lease = lease
    }

    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.0.lowercased() == n }?.1
    }
    public func headerValues(_ name: String) -> [String] {
        let n = name.lowercased()
        return headers.filter { $0.0.lowercased() == n }.map(\.1)
    }

    /// Done with the response: the connection is closed unless its body was read to the end and
    /// it went back to the client's pool.
    public func close() {
        if lease.released { return }
        lease.released = true
        transport.close()
    }
    deinit { close() }

    /// Reads a response head and sets up its body from `input` (also used by unit tests);
    /// `reuse` gets the connection back once a keep-alive body has been read to its end.
    static func read(_ input: Input, method: String, url: HTTPURL, reuse: ((Input) -> Void)? = nil) throws(HTTPError) -> HTTPResponse {
        while true {
            guard let statusLine = try input.readLine() else {
                throw HTTPError("\(url.authority) closed the connection without a response", transient: true)
            }
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...999).contains(status) else {
                throw HTTPError("\(url.authority) did not answer with HTTP (\"\(statusLine.prefix(40))\"); a TLS port needs https")
            }
            var headers: [(String, String)] = []
            while true {
                guard let line = try input.readLine() else { throw HTTPError("\(url.authority): connection closed in the response headers", transient: true) }
                if line.isEmpty { break }
                guard let colon = line.firstIndex(of: ":") else { throw HTTPError("\(url.authority): malformed header line \"\(line.prefix(60))\"") }
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingSpaces))
                if headers.count > 200 { throw HTTPError("\(url.authority): more than 200 response headers") }
            }
            if status < 200 { continue }  // 100 Continue and friends: the real answer follows
            let get = { (n: String) in headers.first { $0.0.lowercased() == n }?.1 }
            let framing: Body.Framing
            if method == "HEAD" || status == 204 || status == 304 {
                framing = .none
            } else if let te = get("transfer-encoding"), te.lowercased().contains("chunked") {
                framing = .chunked
            } else if let cl = get("content-length") {
                guard let n = Int64(cl), n >= 0 else { throw HTTPError("\(url.authority): bad Content-Length \"\(cl)\"") }
                framing = .length(n)
            } else {
                framing = .untilClose
            }
            let reason = parts.count > 2 ? String(parts[2]) : ""
            let lease = Lease()
            let keepAlive = parts[0] == "HTTP/1.1" && get("connection")?.lowercased().contains("close") != true
            let reusable: Bool
            if case .untilClose = framing { reusable = false } else { reusable = keepAlive && reuse != nil }
            let body = Body(input, framing: framing) { clean in
                guard clean, reusable, !lease.released, !input.hasBuffered, let reuse else { return }
                lease.released = true
                reuse(input)
            }
            return HTTPResponse(status: status, reason: reason, headers: headers, url: url,
                                body: body, transport: input.transport, lease: lease)
        }
    }
}

/// Who owns a response's connection: the response (closes it) until its body has been read to
/// the end, then the client's pool.
final class Lease { var released = false }

/// HTTP/1.1 over CNet: kept-alive connections reused per origin (a few idle ones kept), redirects
/// followed (Authorization dropped when one leaves the origin), every wait bounded by `timeoutMs`.
public final class HTTPClient: @unchecked Sendable {
    public struct Options: Sendable {
        public var timeoutMs = 30_000
        public var verifyTLS = true
        public var caFile: String? = nil
        public var maxRedirects = 10
        public init() {}
    }

    public let options: Options
    private var tls: TLSContext?
    private var lock = pthread_mutex_t()
    private var idle: [String: [Input]] = [:]
    private static let maxIdlePerOrigin = 4

    public init(_ options: Options = Options()) {
        self.options = options
        pthread_mutex_init(&lock, nil)
    }

    deinit {
        for inputs in idle.values { for i in inputs { i.transport.close() } }
        pthread_mutex_destroy(&lock)
    }

    private func tlsContext() throws(HTTPError) -> TLSContext {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let tls { return tls }
        let t = try TLSContext(verify: options.verifyTLS, caFile: options.caFile)
        tls = t
        return t
    }

    /// Sends `request`, following redirects; the caller reads and closes the response.
    public func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        var req = request
        var hops = 0
        while true {
            let response = try sendOnce(req)
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.header("Location") else { return response }
            response.close()
            hops += 1
            if hops > options.maxRedirects { throw HTTPError("\(request.url): more than \(options.maxRedirects) redirects") }
            let next = try req.url.resolving(location)
            if !next.sameOrigin(req.url) { req.setHeader("Authorization", nil) }
            if response.status == 303 { req.method = "GET" }
            req.url = next
        }
    }

    func sendOnce(_ req: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let key = "\(req.url.scheme)://\(req.url.host):\(req.url.port)"
        // A kept-alive connection first; if it turns out closed before any answer, a fresh one.
        while let input = takeIdle(key) {
            var answered = false
            do throws(HTTPError) {
                return try exchange(req, input, key, &answered)
            } catch {
                input.transport.close()
                if answered { throw error }
            }
        }
        let tls = req.url.scheme == "https" ? try tlsContext() : nil
        let transport = try SocketTransport(host: req.url.host, port: req.url.port, tls: tls, timeoutMs: options.timeoutMs)
        var answered = false
        do throws(HTTPError) {
            return try exchange(req, Input(transport), key, &answered)
        } catch {
            transport.close()
            throw error
        }
    }

    private func exchange(_ req: HTTPRequest, _ input: Input, _ key: String, _ answered: inout Bool) throws(HTTPError) -> HTTPResponse {
        try input.transport.write(req.serialized())
        guard try input.awaitData() else {
            throw HTTPError("\(req.url.authority) closed the connection without a response", transient: true)
        }
        answered = true
        return try HTTPResponse.read(input, method: req.method, url: req.url) { [weak self] input in self?.putIdle(key, input) }
    }

    private func takeIdle(_ key: String) -> Input? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        while let input = idle[key]?.popLast() {
            if input.transport.idleAndOpen() { return input }
            input.transport.close()
        }
        return nil
    }

    private func putIdle(_ key: String, _ input: Input) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if idle[key, default: []].count >= HTTPClient.maxIdlePerOrigin { input.transport.close(); return }
        idle[key, default: []].append(input)
    }
}
