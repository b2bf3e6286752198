/// One challenge of a WWW-Authenticate header (RFC 7235): `Bearer realm="…",service="…",scope="…"`.
public struct Challenge: Sendable, Equatable {
    public var scheme: String             // lowercased: "bearer", "basic"
    public var parameters: [String: String]  // names lowercased

    /// All challenges in a header value; several may share one header, separated by commas.
    public static func parse(_ header: String) -> [Challenge] {
        var out: [Challenge] = []
        let s = Array(header.utf8)
        var i = 0
        func skipSpace() { while i < s.count && (s[i] == 32 || s[i] == 9) { i += 1 } }
        func token() -> String {
            let start = i
            while i < s.count && s[i] != 32 && s[i] != 9 && s[i] != UInt8(ascii: "=") && s[i] != UInt8(ascii: ",") { i += 1 }
            return String(decoding: s[start..<i], as: UTF8.self)
        }
        while i < s.count {
            skipSpace()
            while i < s.count && s[i] == UInt8(ascii: ",") { i += 1; skipSpace() }
            if i >= s.count { break }
            let scheme = token()
            if scheme.isEmpty { i += 1; continue }
            var challenge = Challenge(scheme: scheme.lowercased(), parameters: [:])
            // Parameters: name=value or name="quoted", until a token not followed by '=' (the next scheme).
            while true {
                skipSpace()
                while i < s.count && s[i] == UInt8(ascii: ",") { i += 1; skipSpace() }
                let mark = i
                let name = token()
                skipSpace()
                guard !name.isEmpty, i < s.count, s[i] == UInt8(ascii: "=") else { i = mark; break }
                i += 1
                skipSpace()
                var value: [UInt8] = []
                if i < s.count && s[i] == UInt8(ascii: "\"") {
                    i += 1
                    while i < s.count && s[i] != UInt8(ascii: "\"") {
                        if s[i] == UInt8(ascii: "\\") && i + 1 < s.count { i += 1 }
                        value.append(s[i])
                        i += 1
                    }
                    i += 1
                } else {
                    while i < s.count && s[i] != UInt8(ascii: ",") && s[i] != 32 && s[i] != 9 { value.append(s[i]); i += 1 }
                }
                challenge.parameters[name.lowercased()] = String(decoding: value, as: UTF8.self)
            }
            out.append(challenge)
        }
        return out
    }
}
