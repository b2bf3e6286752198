import CImages

/// A `sha256:<64 lowercase hex>` content digest (the only algorithm husk stores).
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    public let hex: String

    public init(hex: String) { self.hex = hex }

    /// Parses `sha256:<hex>`; `what` names the file and field for the error.
    public init(parsing text: String, what: String = "digest") throws(ImageError) {
        guard text.hasPrefix("sha256:") else {
            throw ImageError("\(what): \"\(text)\" is not a sha256 digest (algorithm \(text.split(separator: ":").first.map(String.init) ?? "?") is not supported)")
        }
        let hex = String(text.dropFirst(7))
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw ImageError("\(what): \"\(text)\" is not a valid sha256 digest (64 lowercase hex digits)")
        }
        self.hex = hex
    }

    public var description: String { "sha256:" + hex }
    public var short: String { String(hex.prefix(12)) }

    public static func of(_ bytes: some Collection<UInt8>) -> Digest {
        var h = SHA256()
        h.update(Array(bytes))
        return h.finalize()
    }
}

/// Incremental SHA-256 (C implementation in CImages).
public struct SHA256 {
    private var ctx = cimg_sha256()

    public init() { cimg_sha256_init(&ctx) }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ buf: UnsafeRawBufferPointer) {
        if buf.count > 0 { cimg_sha256_update(&ctx, buf.baseAddress, buf.count) }
    }

    public mutating func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        cimg_sha256_final(&ctx, &out)
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for b in out { hex.append(digits[Int(b >> 4)]); hex.append(digits[Int(b & 15)]) }
        return Digest(hex: String(decoding: hex, as: UTF8.self))
    }
}

/// The chain ID of a layer stack (image-spec config.md): chain(L0) = diff(L0),
/// chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln)).
public func chainIDs(_ diffIDs: [Digest]) -> [Digest] {
    var out: [Digest] = []
    for d in diffIDs {
        if let last = out.last { out.append(Digest.of(Array("\(last) \(d)".utf8))) } else { out.append(d) }
    }
    return out
}
