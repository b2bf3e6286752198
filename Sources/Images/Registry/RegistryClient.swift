import Glibc
import HTTP
import JSON

/// How to reach a registry: scheme, TLS checks, timeouts, credentials.
public struct RegistryOptions: Sendable {
    /// http instead of https (--plain-http).
    public var plainHTTP = false
    /// https without certificate checks, falling back to http for a server without TLS (--insecure).
    public var insecure = false
    /// A PEM CA bundle trusted besides the system's (--ca-file).
    public var caFile: String? = nil
    /// Longest wait for a connection or for any progress of a read or write (--timeout).
    public var timeoutMs = 30_000
    public var authfile: String? = nil
    public init() {}
}

/// Requests to one repository of one registry (distribution API v2), answering auth
/// challenges: Bearer (token endpoint, anonymous or with Basic credentials) and Basic.
public final class RegistryClient: @unchecked Sendable {
    public let reference: Reference
    let http: HTTPClient
    private(set) var base: HTTPURL
    private let options: RegistryOptions
    private let credentials: Credentials?
    private var authorization: String?
    private var lock = pthread_mutex_t()

    public init(_ reference: Reference, options: RegistryOptions) throws(ImageError) {
        self.reference = reference
        self.options = options
        var http = HTTPClient.Options()
        http.timeoutMs = options.timeoutMs
        http.verifyTLS = !options.insecure
        http.caFile = options.caFile
        self.http = HTTPClient(http)
        do {
            base = try HTTPURL(parsing: (options.plainHTTP ? "http://" : "https://") + reference.apiHost)
        } catch { throw ImageError("registry \(reference.registry): \(error)") }
        credentials = try AuthFiles.lookup(registry: reference.registry, repository: reference.repository, authfile: options.authfile)
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    private func currentAuthorization() -> String? {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        return authorization
    }

    /// GET /v2/<repository>/<path>, authenticating on a 401 challenge. Returns a 2xx response,
    /// or throws an error naming the URL, the status and the registry's error codes.
    func get(_ path: String, headers: [(String, String)] = [], what: String) throws(ImageError) -> HTTPResponse {
        var triedAuth = false
        while true {
            let sentAuth = currentAuthorization()
            var req = HTTPRequest("GET", url(path), headers: headers)
            if let sentAuth { req.setHeader("Authorization", sentAuth) }
            let response = try send(req, what: what)
            if response.status == 401 && !triedAuth {
                let challenges = response.headerValues("WWW-Authenticate").flatMap(Challenge.parse)
                let body = (try? response.body.readAll(limit: 65536)) ?? []
                response.close()
                triedAuth = true
                // Another thread may have authenticated meanwhile: retry with its header first.
                if currentAuthorization() != sentAuth { continue }
                let header = try authenticate(challenges, failure: registryError(401, "Unauthorized", body))
                pthread_mutex_lock(&lock); authorization = header; pthread_mutex_unlock(&lock)
                continue
            }
            if (200..<300).contains(response.status) { return response }
            let body = (try? response.body.readAll(limit: 65536)) ?? []
            response.close()
            let redirected = response.url == req.url ? "" : " (redirected to \(response.url))"
            var message = "\(what): GET \(req.url)\(redirected): \(registryError(response.status, response.reason, body))"
            if response.status == 401 || response.status == 403 {
                message += credentials.map { " (credentials for \(reference.registry) from \($0.source) were not accepted)" }
                    ?? " (no credentials for \(reference.registry) found in \(AuthFiles.candidates(authfile: options.authfile).joined(separator: ", ")))"
            }
            if options.plainHTTP && response.status == 400 && String(decoding: body, as: UTF8.self).contains("HTTPS") {
                message += " (the registry speaks TLS: drop --plain-http)"
            }
            throw ImageError(message)
        }
    }

    private func url(_ path: String) -> HTTPURL {
        var u = base
        u.path = "/v2/\(reference.repository)/\(path)"
        return u
    }

    /// One HTTP exchange; with --insecure a server that does not speak TLS is retried over http.
    func send(_ req: HTTPRequest, what: String) throws(ImageError) -> HTTPResponse {
        do {
            return try http.send(req)
        } catch {
            if options.insecure && !options.plainHTTP && req.url.scheme == "https" && error.message.contains("TLS handshake")
                && !error.message.contains("timed out") {
                pthread_mutex_lock(&lock)
                if base.scheme == "https" { base = HTTPURL(scheme: "http", host: base.host, port: base.port == 443 ? 80 : base.port) }
                pthread_mutex_unlock(&lock)
                var plain = req
                plain.url.scheme = "http"
                if plain.url.port == 443 { plain.url.port = 80 }
                do { return try http.send(plain) } catch { throw TransientImageError.wrap(error, what: what) }
            }
            var message = error.message
            if !options.plainHTTP && error.message.contains("TLS handshake") && !error.message.contains("certificate verify failed")
                && !error.message.contains("timed out") {
                message += " (a plain-HTTP registry? then pass --plain-http)"
            }
            if error.message.contains("certificate verify failed") {
                message += " (trust its CA with --ca-file FILE or SSL_CERT_FILE, or pass --insecure)"
            }
            throw TransientImageError.wrap(HTTPError(message, transient: error.transient), what: what)
        }
    }

    /// The Authorization header that answers `challenges`.
    private func authenticate(_ challenges: [Challenge], failure: String) throws(ImageError) -> String {
        if let bearer = challenges.first(where: { $0.scheme == "bearer" }) {
            return "Bearer " + (try fetchToken(bearer))
        }
        if challenges.contains(where: { $0.scheme == "basic" }) {
            guard let c = credentials else {
                throw ImageError("\(reference.registry): \(failure): the registry wants a user name and password; none found in \(AuthFiles.candidates(authfile: options.authfile).joined(separator: ", "))")
            }
            return "Basic " + Base64.encode(Array("\(c.username):\(c.password)".utf8))
        }
        throw ImageError("\(reference.registry): \(failure) (no Bearer or Basic challenge in WWW-Authenticate)")
    }

    /// GET realm?service=…&scope=… (with Basic credentials when we have them) → token.
    private func fetchToken(_ c: Challenge) throws(ImageError) -> String {
        guard let realm = c.parameters["realm"], !realm.isEmpty else { throw ImageError("\(reference.registry): Bearer challenge without a realm") }
        var url: HTTPURL
        do { url = try HTTPURL(parsing: realm) } catch { throw ImageError("\(reference.registry): token realm: \(error)") }
        var query: [String] = []
        if let s = c.parameters["service"] { query.append("service=" + HTTPURL.escape(s)) }
        let scope = c.parameters["scope"] ?? "repository:\(reference.repository):pull"
        for s in scope.split(separator: " ") { query.append("scope=" + HTTPURL.escape(String(s))) }
        if !query.isEmpty { url.path += (url.path.contains("?") ? "&" : "?") + query.joined(separator: "&") }
        var req = HTTPRequest("GET", url)
        if let cr = credentials { req.setHeader("Authorization", "Basic " + Base64.encode(Array("\(cr.username):\(cr.password)".utf8))) }
        let what = "token for \(reference.name) from \(realm)"
        let response = try send(req, what: what)
        defer { response.close() }
        let body: [UInt8]
        do { body = try response.body.readAll(limit: 1 << 20) } catch { throw ImageError("\(what): \(error)") }
        guard response.status == 200 else {
            let who = credentials.map { "with the credentials from \($0.source)" } ?? "anonymously (no credentials for \(reference.registry) found)"
            throw ImageError("\(what): \(response.status) \(response.reason) \(who)\(snippet(body))")
        }
        let v: JSONValue
        do { v = try JSON.parse(body) } catch { throw ImageError("\(what): not JSON: \(error)") }
        guard let token = v["token"]?.string ?? v["access_token"]?.string, !token.isEmpty else {
            throw ImageError("\(what): the answer has no token or access_token")
        }
        return token
    }

    private func snippet(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self).filter { $0 != "\n" && $0 != "\r" }
        return text.isEmpty ? "" : ": " + text
    }

    /// "404 Not Found: MANIFEST_UNKNOWN (manifest unknown)" from the distribution error document.
    func registryError(_ status: Int, _ reason: String, _ body: [UInt8]) -> String {
        var text = "\(status) \(reason)"
        if let v = try? JSON.parse(body), let errors = v["errors"]?.array, !errors.isEmpty {
            let parts = errors.prefix(3).map { e -> String in
                let code = e["code"]?.string ?? "?"
                return e["message"]?.string.map { "\(code) (\($0))" } ?? code
            }
            text += ": " + parts.joined(separator: "; ")
        } else {
            text += snippet(body)
        }
        return text
    }
}

/// An ImageError from an HTTP failure, remembering whether a retry may help.
enum TransientImageError {
    static func wrap(_ e: HTTPError, what: String) -> ImageError {
        ImageError("\(what): \(e.message)", transient: e.transient)
    }
}
