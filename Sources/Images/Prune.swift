import Glibc
import JSON
import Sys

/// `husk image prune`: mark what refs and container bundles reach, sweep the rest.
/// Marking: ref → (index → manifests →) manifest → config + layers, and the config's chain IDs
/// name the snapshots (`snapshots/<chainID>`). A bundle under `containers/<id>` records its
/// manifest in `image.json`, so an image removed while a container uses it keeps its blobs and
/// snapshots until that container is deleted. Runs under the exclusive store lock.
public struct Pruner {
    public struct Report: Sendable {
        public var blobs = 0, blobBytes: Int64 = 0
        public var snapshots = 0, snapshotBytes: Int64 = 0
        public var scratch = 0
    }

    public let store: ContentStore
    public init(store: ContentStore) { self.store = store }

    public func prune() throws(ImageError) -> Report {
        let lock = try store.exclusiveLock()
        defer { withExtendedLifetime(lock) {} }
        var blobs = Set<Digest>()
        var snapshots = Set<String>()
        for ref in try store.refs() { try mark(ref.digest, ref.mediaType, &blobs, &snapshots, depth: 0) }
        for id in Files.listDirectory(store.root + "/containers") {
            guard let manifest = Snapshots.bundleManifest(store.root + "/containers/" + id) else { continue }
            try mark(manifest, MediaType.manifest, &blobs, &snapshots, depth: 0)
        }
        var report = Report()
        let blobDir = store.root + "/blobs/sha256"
        for hex in Files.listDirectory(blobDir) where !blobs.contains(Digest(hex: hex)) {
            let path = blobDir + "/" + hex
            let size = diskUsage(path)
            if unlink(path) != 0 && errno != ENOENT { throw ImageError("prune: unlink \(path): \(String(cString: strerror(errno)))") }
            report.blobs += 1
            report.blobBytes += size
        }
        let snapDir = store.root + "/snapshots"
        for name in Files.listDirectory(snapDir) where !snapshots.contains(name) {
            let path = snapDir + "/" + name
            let size = diskUsage(path)
            do { try Files.removeTree(path) } catch { throw ImageError("prune: \(error)") }
            report.snapshots += 1
            report.snapshotBytes += size
        }
        // Nobody holds the lease: partial ingests and import scratch dirs are left over from a crash.
        for dir in ["ingest", "tmp"] {
            for name in Files.listDirectory(store.root + "/" + dir) {
                try? Files.removeTree(store.root + "/" + dir + "/" + name)
                report.scratch += 1
            }
        }
        return report
    }

    private func mark(_ d: Digest, _ mediaType: String, _ blobs: inout Set<Digest>, _ snapshots: inout Set<String>, depth: Int) throws(ImageError) {
        guard store.has(d), blobs.insert(d).inserted else { return }
        if MediaType.isIndex(mediaType) {
            guard depth < 8 else { throw ImageError("prune: index \(d) nests more than 8 levels") }
            let v = try parseJSON(try store.readBlob(d), "index \(d)")
            for (i, m) in (v["manifests"]?.array ?? []).enumerated() {
                let child = try Descriptor.parse(m, "index \(d): manifests[\(i)]")
                try mark(child.digest, child.mediaType, &blobs, &snapshots, depth: depth + 1)
            }
            return
        }
        guard MediaType.isManifest(mediaType) else { return }
        let manifest = try Manifest.parse(try store.readBlob(d), "manifest \(d)")
        for l in manifest.layers { blobs.insert(l.digest) }
        guard store.has(manifest.config.digest) else { return }
        blobs.insert(manifest.config.digest)
        let config = try ImageConfig.parse(try store.readBlob(manifest.config.digest), "config \(manifest.config.digest)")
        for c in chainIDs(config.diffIDs) { snapshots.insert(c.hex) }
    }
}

/// Bytes a file or tree takes on disk (st_blocks), never following symlinks.
func diskUsage(_ path: String) -> Int64 {
    var st = stat()
    guard lstat(path, &st) == 0 else { return 0 }
    var total = Int64(st.st_blocks) * 512
    if (st.st_mode & S_IFMT) == S_IFDIR {
        for name in Files.listDirectory(path) { total += diskUsage(path + "/" + name) }
    }
    return total
}
