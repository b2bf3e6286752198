/// An image reference as people write it: `[registry/]repository[:tag][@sha256:…]`, with the
/// usual defaults: no registry part means docker.io (API host registry-1.docker.io), a
/// single-component docker.io name gets `library/`, no tag and no digest means `latest`.
/// The first component is a registry when it holds a `.` or `:` or is `localhost`.
public struct Reference: Sendable, Equatable, CustomStringConvertible {
    public var registry: String
    public var repository: String
    public var tag: String?
    public var digest: Digest?

    public static let dockerHub = "docker.io"

    public static func parse(_ text: String) throws(ImageError) -> Reference {
        func bad(_ why: String) -> ImageError { ImageError("invalid image reference \"\(text)\": \(why)") }
        if text.isEmpty { throw bad("empty") }
        if text.utf8.contains(where: { $0 <= 32 || $0 >= 127 }) { throw bad("contains whitespace or non-ASCII characters") }
        var rest = Substring(text)
        var digest: Digest? = nil
        if let at = rest.firstIndex(of: "@") {
            let d = String(rest[rest.index(after: at)...])
            do { digest = try Digest(parsing: d, what: "digest") } catch { throw bad("\(error)") }
            rest = rest[..<at]
        }
        var registry = dockerHub
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: { $0.isUppercase }) {
                registry = String(first)
                rest = rest[rest.index(after: slash)...]
                try validateRegistry(registry, bad)
            }
        }
        var tag: String? = nil
        if let colon = rest.lastIndex(of: ":") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
            try validateTag(tag!, bad)
        }
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = dockerHub }
        var repository = String(rest)
        if repository.isEmpty { throw bad("no repository name") }
        if repository.contains(where: { $0.isUppercase }) { throw bad("repository name must be lowercase") }
        for component in repository.split(separator: "/", omittingEmptySubsequences: false) {
            if !isPathComponent(component) {
                throw bad("\"\(component)\" is not a valid name component (lowercase letters and digits, separated by '.', '_', '__' or '-')")
            }
        }
        if registry == dockerHub && !repository.contains("/") { repository = "library/" + repository }
        if registry.count + 1 + repository.count > 255 { throw bad("name longer than 255 characters") }
        return Reference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    /// `registry/repository`, the canonical name.
    public var name: String { registry + "/" + repository }

    /// What the manifest is fetched by: the digest when given, else the tag (default latest).
    public var manifestReference: String { digest?.description ?? tag ?? "latest" }

    /// The name the pulled image is recorded under: `name:tag`, or `name@digest` when only a digest was given.
    public var storeName: String {
        if let tag { return name + ":" + tag }
        if let digest { return name + "@" + digest.description }
        return name + ":latest"
    }

    public var description: String {
        var s = name
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        if tag == nil && digest == nil { s += ":latest" }
        return s
    }

    /// The host the registry API answers on.
    public var apiHost: String { registry == Reference.dockerHub ? "registry-1.docker.io" : registry }

    private static func validateRegistry(_ r: String, _ bad: (String) -> ImageError) throws(ImageError) {
        var host = Substring(r)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw bad("registry \"\(r)\": unterminated IPv6 address") }
            let after = host[host.index(after: close)...]
            if !after.isEmpty && !(after.hasPrefix(":") && after.count > 1 && after.dropFirst().allSatisfy(\.isASCIIDigit)) {
                throw bad("registry \"\(r)\": bad port")
            }
            return
        }
        if let colon = host.lastIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCIIDigit), Int(port)! < 65536 else { throw bad("registry \"\(r)\": bad port \"\(port)\"") }
            host = host[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for l in labels {
            if l.isEmpty || l.hasPrefix("-") || l.hasSuffix("-") || !l.allSatisfy({ $0.isASCIILetterOrDigit || $0 == "-" }) {
                throw bad("registry \"\(r)\" is not a valid host name")
            }
        }
    }

    private static func validateTag(_ t: String, _ bad: (String) -> ImageError) throws(ImageError) {
        guard let first = t.first, first.isASCIILetterOrDigit || first == "_", t.count <= 128,
              t.allSatisfy({ $0.isASCIILetterOrDigit || $0 == "_" || $0 == "." || $0 == "-" }) else {
            throw bad("tag \"\(t)\" is not valid (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')")
        }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isPathComponent(_ c: Substring) -> Bool {
        let b = Array(c.utf8)
        func alnum(_ x: UInt8) -> Bool { (x >= 97 && x <= 122) || (x >= 48 && x <= 57) }
        guard let f = b.first, let l = b.last, alnum(f), alnum(l) else { return false }
        var i = 0
        while i < b.count {
            if alnum(b[i]) { i += 1; continue }
            // A separator: ".", "_", "__" or a run of "-", followed by an alphanumeric.
            if b[i] == UInt8(ascii: ".") { i += 1 }
            else if b[i] == UInt8(ascii: "_") { i += 1; if i < b.count && b[i] == UInt8(ascii: "_") { i += 1 } }
            else if b[i] == UInt8(ascii: "-") { while i < b.count && b[i] == UInt8(ascii: "-") { i += 1 } }
            else { return false }
            if i >= b.count || !alnum(b[i]) { return false }
        }
        return true
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetterOrDigit: Bool { isASCII && (isLetter || isNumber) }
}
