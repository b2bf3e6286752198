import Glibc
import HTTP
import JSON

/// What a pull did, for its final line.
public struct PullResult: Sendable {
    public var name: String
    public var digest: Digest
    public var platform: Platform?
    public var layers: Int
    public var fetchedBlobs: Int
    public var cachedBlobs: Int
    public var fetchedBytes: Int64
}

/// `husk pull REF`: manifest (an index resolved to one platform), then config and layers,
/// a few at a time, each verified by the store on its way in; the name is recorded last, so a
/// failed pull leaves no ref and no blob under a wrong digest.
public final class Puller {
    public let store: ContentStore
    public let reference: Reference
    public let platform: Platform
    let client: RegistryClient
    let progress: PullProgress
    /// Blobs fetched at once, and retries of a dropped blob download.
    public var concurrency = 3
    public var retries = 3

    static let manifestAccept = [MediaType.index, MediaType.manifest, MediaType.dockerList, MediaType.dockerManifest].joined(separator: ", ")

    public init(store: ContentStore, reference: Reference, options: RegistryOptions, platform: Platform, progress: PullProgress) throws(ImageError) {
        self.store = store
        self.reference = reference
        self.platform = platform
        self.progress = progress
        client = try RegistryClient(reference, options: options)
    }

    public func pull() throws(ImageError) -> PullResult {
        // Shared gc.lock: no prune sweeps the blobs of this pull before its ref is recorded.
        let lease = try store.lease()
        defer { withExtendedLifetime(lease) {} }
        var top = try fetchManifest(reference.manifestReference, expected: reference.digest, size: nil, what: "manifest \(reference)")
        var chosen: Platform? = nil
        if MediaType.isIndex(top.mediaType) {
            let index = try parseIndex(top.bytes, "index \(top.digest) of \(reference)")
            guard let pick = platform.select(index) else {
                throw ImageError("\(reference): no image for \(platform) in index \(top.digest) (it has: \(platformList(index)); choose one with --platform)")
            }
            chosen = pick.platform
            top = try fetchManifest(pick.digest.description, expected: pick.digest, size: pick.size, what: "manifest \(pick.digest) (\(pick.platform?.description ?? "?")) of \(reference)")
            if MediaType.isIndex(top.mediaType) { throw ImageError("\(reference): index \(pick.digest) points at another index (nested indexes are not supported)") }
        }
        let manifestWhat = "manifest \(top.digest) of \(reference)"
        let manifest = try Manifest.parse(top.bytes, manifestWhat)

        // Config and layers, each digest once; the ones already stored are skipped.
        var blobs: [(Descriptor, String)] = [(manifest.config, "config")]
        for (i, l) in manifest.layers.enumerated() where !blobs.contains(where: { $0.0.digest == l.digest }) {
            blobs.append((l, "layer \(i + 1)/\(manifest.layers.count)"))
        }
        var missing: [(Descriptor, String, Int)] = []
        var cached = 0
        for (d, label) in blobs {
            let line = progress.add(d.digest.short, total: d.size)
            if store.has(d.digest) && store.fileSize(store.blobPath(d.digest)) == d.size {
                cached += 1
                progress.update(line, state: "cached")
            } else {
                missing.append((d, "\(label) \(d.digest) of \(reference)", line))
            }
        }
        let fetched = FetchedBytes()
        let client = self.client, store = self.store, progress = self.progress, retries = self.retries
        let todo = missing
        try runConcurrently(count: todo.count, width: concurrency, tick: { progress.draw() }) { (i: Int) throws(ImageError) in
            let (d, what, line) = todo[i]
            progress.update(line, state: "downloading")
            let reader = BlobReader(client: client, descriptor: d, what: what, retries: retries) { progress.update(line, done: $0) }
            defer { reader.close() }
            try store.ingest(reader, expected: d.digest, size: d.size, what: what)
            fetched.add(d.size)
            progress.update(line, done: d.size, state: "done")
        }

        let config = try ImageConfig.parse(try store.readBlob(manifest.config.digest), "config \(manifest.config.digest) of \(reference)")
        if config.diffIDs.count != manifest.layers.count {
            throw ImageError("config \(manifest.config.digest) of \(reference): rootfs.diff_ids has \(config.diffIDs.count) entries but \(manifestWhat) has \(manifest.layers.count) layers")
        }
        let name = reference.storeName
        let ref = ImageRef(name: name, digest: top.digest, mediaType: top.mediaType, size: Int64(top.bytes.count))
        try store.updateRefs { refs in refs.removeAll { $0.name == name }; refs.append(ref) }
        return PullResult(name: name, digest: top.digest, platform: chosen, layers: manifest.layers.count,
                          fetchedBlobs: todo.count, cachedBlobs: cached, fetchedBytes: fetched.total)
    }

    struct FetchedManifest {
        var bytes: [UInt8]
        var mediaType: String
        var digest: Digest
    }

    /// GET a manifest or index by tag or digest; checks the digest when one is known (asked for,
    /// or sent as Docker-Content-Digest) and stores the bytes.
    func fetchManifest(_ ref: String, expected: Digest?, size: Int64?, what: String) throws(ImageError) -> FetchedManifest {
        let response = try retrying(what) { () throws(ImageError) in try self.client.get("manifests/\(ref)", headers: [("Accept", Puller.manifestAccept)], what: what) }
        defer { response.close() }
        let bytes: [UInt8]
        do { bytes = try response.body.readAll(limit: 4 << 20) } catch { throw ImageError("\(what): \(error)") }
        let digest = Digest.of(bytes)
        if let expected, digest != expected { throw ImageError("\(what): content has digest \(digest), not the \(expected) asked for") }
        if let size, Int64(bytes.count) != size { throw ImageError("\(what): \(bytes.count) bytes, but the index says \(size)") }
        if let header = response.header("Docker-Content-Digest"), header.hasPrefix("sha256:"), header != digest.description {
            throw ImageError("\(what): content has digest \(digest), but the registry says \(header)")
        }
        let mediaType = try Puller.mediaType(contentType: response.header("Content-Type"), bytes, what: what)
        try store.write(bytes, expected: digest, what: what)
        return FetchedManifest(bytes: bytes, mediaType: mediaType, digest: digest)
    }

    /// The manifest's kind from Content-Type, else from its mediaType field or shape.
    static func mediaType(contentType: String?, _ bytes: [UInt8], what: String) throws(ImageError) -> String {
        let known = [MediaType.manifest, MediaType.index, MediaType.dockerManifest, MediaType.dockerList]
        let header = contentType.map { String($0.split(separator: ";").first ?? "").trimmingSpaces.lowercased() }
        if let header, known.contains(header) { return header }
        let v = try? JSON.parse(bytes)
        let field = v?["mediaType"]?.string
        if let field, known.contains(field) { return field }
        let generic = header == nil || header == "application/json" || header == "text/plain" || header == "application/octet-stream"
        if generic && field == nil, let v, v["schemaVersion"]?.int64 == 2 {
            if v["manifests"] != nil { return MediaType.index }
            if v["config"] != nil && v["layers"] != nil { return MediaType.manifest }
        }
        let type = (generic ? field : header) ?? header ?? "none"
        if type.hasPrefix("application/vnd.docker.distribution.manifest.v1") {
            throw ImageError("\(what): Docker schema 1 manifests (\(type)) are not supported")
        }
        throw ImageError("\(what): unsupported media type \"\(type)\" (husk pulls OCI and Docker schema 2 manifests and indexes)")
    }

    func parseIndex(_ bytes: [UInt8], _ what: String) throws(ImageError) -> [Descriptor] {
        let v = try parseJSON(bytes, what)
        guard let ms = v["manifests"]?.array else { throw ImageError("\(what).manifests: missing or not an array") }
        var out: [Descriptor] = []
        for (i, m) in ms.enumerated() { out.append(try Descriptor.parse(m, "\(what).manifests[\(i)]")) }
        return out
    }

    /// Runs a request again after a transient failure (a dropped or stalled connection).
    func retrying<T>(_ what: String, _ body: () throws(ImageError) -> T) throws(ImageError) -> T {
        var failures = 0
        while true {
            do { return try body() } catch {
                guard error.transient, failures < retries else {
                    throw failures > 0 ? ImageError("\(error.message) (gave up after \(failures) retries)") : error
                }
                failures += 1
                usleep(UInt32(250_000 << min(failures - 1, 3)))
            }
        }
    }
}

private final class FetchedBytes: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private(set) var total: Int64 = 0
    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    func add(_ n: Int64) { pthread_mutex_lock(&lock); total += n; pthread_mutex_unlock(&lock) }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
