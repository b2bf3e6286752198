import Glibc
import JSON
import Sys

/// A user name and password for a registry, and the file they came from (for messages).
public struct Credentials: Sendable, Equatable {
    public var username: String
    public var password: String
    public var source: String
}

/// Registry credentials in the containers-auth.json / Docker config.json format:
/// `{"auths": {"registry.example.com": {"auth": "base64(user:password)"}}}`.
/// Files, first match wins: --authfile (only it when given), $REGISTRY_AUTH_FILE,
/// $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json.
public enum AuthFiles {
    public static func candidates(authfile: String?, environment: (String) -> String? = AuthFiles.env) -> [String] {
        if let authfile { return [authfile] }
        var out: [String] = []
        if let f = environment("REGISTRY_AUTH_FILE"), !f.isEmpty { out.append(f) }
        if let d = environment("XDG_RUNTIME_DIR"), !d.isEmpty { out.append(d + "/containers/auth.json") }
        if let h = environment("HOME"), !h.isEmpty { out.append(h + "/.docker/config.json") }
        return out
    }

    public static func env(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// Credentials for `registry`/`repository` from the first file that has an entry.
    /// An explicit --authfile must exist; the default files may be absent.
    public static func lookup(registry: String, repository: String, authfile: String?) throws(ImageError) -> Credentials? {
        for path in candidates(authfile: authfile) {
            guard Files.exists(path) else {
                if authfile != nil { throw ImageError("--authfile \(path): no such file") }
                continue
            }
            let bytes: [UInt8]
            do { bytes = try Files.read(path) } catch { throw ImageError("auth file \(path): \(error)") }
            if let c = try parse(bytes, path: path).credentials(registry: registry, repository: repository) { return c }
        }
        return nil
    }

    /// The entries of one auth file, keyed as written.
    public struct Entries: Sendable {
        public var byKey: [String: Credentials] = [:]

        /// Most specific first: `registry/namespace/repo`, …, `registry`; keys are compared
        /// without a scheme or `/v1/` suffix, and Docker Hub's aliases count as docker.io.
        public func credentials(registry: String, repository: String) -> Credentials? {
            var normalized: [String: Credentials] = [:]
            for (k, v) in byKey.sorted(by: { $0.key < $1.key }) { normalized[AuthFiles.normalizeKey(k)] = v }
            var path = registry + "/" + repository
            while true {
                if let c = normalized[path] { return c }
                guard let slash = path.lastIndex(of: "/") else { return nil }
                path = String(path[..<slash])
            }
        }
    }

    static func normalizeKey(_ key: String) -> String {
        var k = Substring(key)
        for p in ["https://", "http://"] where k.hasPrefix(p) { k = k.dropFirst(p.count) }
        for s in ["/v1/", "/v2/", "/v1", "/v2", "/"] where k.hasSuffix(s) { k = k.dropLast(s.count); break }
        var host = k.prefix { $0 != "/" }
        let rest = k.dropFirst(host.count)
        if host == "index.docker.io" || host == "registry-1.docker.io" { host = "docker.io" }
        return String(host) + rest
    }

    public static func parse(_ bytes: [UInt8], path: String) throws(ImageError) -> Entries {
        let v: JSONValue
        do { v = try JSON.parse(bytes) } catch { throw ImageError("auth file \(path): \(error)") }
        guard v.object != nil else { throw ImageError("auth file \(path): not a JSON object") }
        var entries = Entries()
        guard let auths = v["auths"] else { return entries }
        guard let pairs = auths.object?.pairs else { throw ImageError("auth file \(path): auths: not an object") }
        for (key, e) in pairs {
            if let auth = e["auth"]?.string, !auth.isEmpty {
                guard let raw = Base64.decode(auth) else { throw ImageError("auth file \(path): auths.\(key).auth: not base64") }
                let text = String(decoding: raw, as: UTF8.self)
                guard let colon = text.firstIndex(of: ":") else { throw ImageError("auth file \(path): auths.\(key).auth: not base64 of user:password") }
                entries.byKey[key] = Credentials(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]), source: path)
            } else if let u = e["username"]?.string, let p = e["password"]?.string {
                entries.byKey[key] = Credentials(username: u, password: p, source: path)
            }
        }
        return entries
    }
}
