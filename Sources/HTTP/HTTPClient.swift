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
        text += "Connection: close\r\n\r\n"
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

    init(status: Int, reason: String, headers: [(String, String)], url: HTTPURL, body: Body, transport: Transport) {
        self.status = status; self.reason = reason; self.headers = headers; self.url = url; self.body = body; self.transport = transport
    }

    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.0.lowercased() == n }?.1
    }
    public func headerValues(_ name: String) -> [String] {
        let n = name.lowercased()
        return headers.filter { $0.0.lowercased() == n }.map(\.1)
    }

    public func close() { transport.close() }
    deinit { transport.close() }

    /// Reads a response head and sets up its body from `input` (also used by unit tests).
    static func read(_ input: Input, method: String, url: HTTPURL) throws(HTTPError) -> HTTPResponse {
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
            return HTTPResponse(status: status, reason: reason, headers: headers, url: url,
                                body: Body(input, framing: framing), transport: input.transport)
        }
    }
}

/// HTTP/1.1 over CNet: one connection per request (Connection: close), redirects followed
/// (Authorization dropped when one leaves the origin), every wait bounded by `timeoutMs`.
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

    public init(_ options: Options = Options()) {
        self.options = options
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

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
        let tls = req.url.scheme == "https" ? try tlsContext() : nil
        let transport = try SocketTransport(host: req.url.host, port: req.url.port, tls: tls, timeoutMs: options.timeoutMs)
        do throws(HTTPError) {
            try transport.write(req.serialized())
            return try HTTPResponse.read(Input(transport), method: req.method, url: req.url)
        } catch {
            transport.close()
            throw error
        }
    }
}
