import CImages
import Glibc
import JSON
import Sys

/// A named image: the manifest it points at.
public struct ImageRef: Sendable {
    public var name: String
    public var digest: Digest
    public var mediaType: String
    public var size: Int64

    public init(name: String, digest: Digest, mediaType: String, size: Int64) {
        self.name = name; self.digest = digest; self.mediaType = mediaType; self.size = size
    }
}

/// The content-addressed store under the storage root (default /var/lib/husk, HUSK_STORAGE,
/// --storage): `blobs/sha256/<hex>` verified on write, `refs.json` (name → manifest) written
/// atomically under a lock, `snapshots/<chainID>`, `containers/<id>`.
public struct ContentStore: Sendable {
    public let root: String

    public static func defaultRoot(_ option: String?) -> String {
        if let option { return option }
        if let env = getenv("HUSK_STORAGE"), env[0] != 0 { return String(cString: env) }
        return "/var/lib/husk"
    }

    public init(root: String) throws(ImageError) {
        self.root = Files.absolute(root)
        for d in ["blobs/sha256", "ingest", "snapshots", "containers", "tmp"] {
            do { try Files.makeDirectories(self.root + "/" + d, mode: 0o700) } catch { throw ImageError("storage: \(error)") }
        }
    }

    public func blobPath(_ d: Digest) -> String { root + "/blobs/sha256/" + d.hex }
    public func has(_ d: Digest) -> Bool { Files.exists(blobPath(d)) }

    /// A stored blob, verified again (small JSON blobs only: manifests, configs).
    public func readBlob(_ d: Digest, limit: Int = 4 << 20) throws(ImageError) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try Files.read(blobPath(d)) } catch { throw ImageError("blob \(d): \(error)") }
        if bytes.count > limit { throw ImageError("blob \(d): \(bytes.count) bytes is too large for a manifest or config") }
        if Digest.of(bytes) != d { throw ImageError("blob \(d): content does not match its digest (store corrupt)") }
        return bytes
    }

    /// Streams `reader` into the store; the blob appears only when size and digest match `expected`.
    @discardableResult
    public func ingest(_ reader: any ByteReader, expected: Digest? = nil, size: Int64? = nil, what: String) throws(ImageError) -> (Digest, Int64) {
        if let expected, has(expected), size == nil || fileSize(blobPath(expected)) == size { return (expected, size ?? fileSize(blobPath(expected))) }
        let tmp = root + "/ingest/\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw ImageError("create \(tmp): \(String(cString: strerror(errno)))") }
        var keep = false
        defer { if !keep { unlink(tmp) } }
        let hashing = HashingReader(reader)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        do {
            defer { close(fd) }
            while true {
                let n = try hashing.read(into: &chunk)
                if n == 0 { break }
                if let size, hashing.count > size { throw ImageError("\(what): more than the \(size) bytes its descriptor declares") }
                do { try Files.writeAll(fd, Array(chunk[0..<n]), path: tmp) } catch { throw ImageError("\(error)") }
            }
        }
        var h = hashing.hasher
        let digest = h.finalize()
        if let size, hashing.count != size { throw ImageError("\(what): size \(hashing.count) does not match the declared size \(size)") }
        if let expected, digest != expected { throw ImageError("\(what): digest \(digest) does not match the declared \(expected)") }
        if rename(tmp, blobPath(digest)) != 0 { throw ImageError("rename \(tmp): \(String(cString: strerror(errno)))") }
        keep = true
        return (digest, hashing.count)
    }

    @discardableResult
    public func write(_ bytes: [UInt8], expected: Digest? = nil, what: String) throws(ImageError) -> Digest {
        try ingest(MemoryReader(bytes), expected: expected, size: expected == nil ? nil : Int64(bytes.count), what: what).0
    }

    public func fileSize(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : -1
    }

    // MARK: refs

    private var refsPath: String { root + "/refs.json" }

    public func refs() throws(ImageError) -> [ImageRef] {
        guard Files.exists(refsPath) else { return [] }
        let value: JSONValue
        do { value = try JSON.parse(try Files.read(refsPath)) } catch { throw ImageError("\(refsPath): \(error)") }
        var out: [ImageRef] = []
        for (name, v) in value["images"]?.object?.pairs ?? [] {
            guard let d = v["digest"]?.string else { continue }
            out.append(ImageRef(name: name, digest: try Digest(parsing: d, what: "\(refsPath): images.\(name).digest"),
                                mediaType: v["mediaType"]?.string ?? MediaType.manifest, size: v["size"]?.int64 ?? 0))
        }
        return out.sorted { $0.name < $1.name }
    }

    /// The image called `name` (also `name:latest`, `name@sha256:…` for that name at that
    /// manifest, or a unique digest prefix).
    public func resolve(_ name: String) throws(ImageError) -> ImageRef? {
        let all = try refs()
        if let r = all.first(where: { $0.name == name }) { return r }
        if let at = name.firstIndex(of: "@") {
            let repo = String(name[..<at]), digest = String(name[name.index(after: at)...])
            return all.first { $0.digest.description == digest && ($0.name == repo || $0.name.hasPrefix(repo + ":")) }
        }
        if !name.contains(":"), let r = all.first(where: { $0.name == name + ":latest" }) { return r }
        // A registry reference as typed (busybox:1, localhost:5000/app) names what pull recorded
        // under its canonical form (docker.io/library/busybox:1). Only for words with ':', '/' or
        // '@', which container IDs never have.
        if name.contains(where: { $0 == ":" || $0 == "/" || $0 == "@" }), let parsed = try? Reference.parse(name),
           let r = all.first(where: { $0.name == parsed.storeName }) {
            return r
        }
        let hex = name.hasPrefix("sha256:") ? String(name.dropFirst(7)) : name
        if hex.count >= 6 {
            let m = all.filter { $0.digest.hex.hasPrefix(hex) }
            if Set(m.map(\.digest)).count == 1 { return m[0] }
        }
        return nil
    }

    /// Read-modify-write of refs.json under an flock, written atomically.
    public func updateRefs(_ change: (inout [ImageRef]) throws(ImageError) -> Void) throws(ImageError) {
        let lock = open(root + "/refs.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if lock < 0 { throw ImageError("open \(root)/refs.lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 && errno == EINTR {}
        var all = try refs()
        try change(&all)
        var images = JSONObject()
        for r in all.sorted(by: { $0.name < $1.name }) {
            images[r.name] = ["digest": .string(r.digest.description), "mediaType": .string(r.mediaType), "size": .int(r.size)]
        }
        do { try Files.writeAtomically(refsPath, JSON.serializeBytes(["images": .object(images)], pretty: true)) } catch { throw ImageError("\(error)") }
    }
}
