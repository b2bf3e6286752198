/// An http or https URL, split the way a request needs it.
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String     // "http" or "https"
    public var host: String       // without brackets for IPv6
    public var port: Int
    public var path: String       // path and query, starting with "/"

    public init(scheme: String, host: String, port: Int? = nil, path: String = "/") {
        self.scheme = scheme
        self.host = host
        self.port = port ?? (scheme == "https" ? 443 : 80)
        self.path = path.hasPrefix("/") ? path : "/" + path
    }

    public init(parsing text: String) throws(HTTPError) {
        let pieces = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard pieces.count == 2 else { throw HTTPError("URL \"\(text)\": no scheme") }
        let scheme = pieces[0].lowercased()
        guard scheme == "http" || scheme == "https" else { throw HTTPError("URL \"\(text)\": scheme \"\(scheme)\" is not http or https") }
        let rest = pieces[1]
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<slash]
        var path = String(rest[slash...])
        if path.hasPrefix("?") { path = "/" + path }
        if path.isEmpty { path = "/" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }  // userinfo is never used
        var host: Substring
        var portText: Substring? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw HTTPError("URL \"\(text)\": unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw HTTPError("URL \"\(text)\": bad authority") }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw HTTPError("URL \"\(text)\": no host") }
        var port: Int? = nil
        if let portText {
            guard let p = Int(portText), p > 0, p < 65536 else { throw HTTPError("URL \"\(text)\": bad port \"\(portText)\"") }
            port = p
        }
        self.init(scheme: scheme, host: String(host).lowercased(), port: port, path: path)
    }

    /// host[:port] as the Host header and messages show it (the port only when not the default).
    public var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (scheme == "https" ? 443 : 80) ? h : "\(h):\(port)"
    }

    public var description: String { "\(scheme)://\(authority)\(path)" }

    /// Same scheme, host and port: credentials may follow a redirect only within one origin.
    public func sameOrigin(_ other: HTTPURL) -> Bool { scheme == other.scheme && host == other.host && port == other.port }

    /// A Location header's target: absolute, scheme-relative, absolute-path or relative.
    public func resolving(_ location: String) throws(HTTPError) -> HTTPURL {
        if location.contains("://") { return try HTTPURL(parsing: location) }
        if location.hasPrefix("//") { return try HTTPURL(parsing: scheme + ":" + location) }
        var u = self
        if location.hasPrefix("/") { u.path = location; return u }
        let base = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        u.path = String(base[...(base.lastIndex(of: "/") ?? base.startIndex)]) + location
        return u
    }

    /// Percent-encodes a query component (RFC 3986 unreserved characters stay).
    public static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(b))
            default:
                let digits = Array("0123456789ABCDEF")
                out += "%" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
            }
        }
        return out
    }
}
