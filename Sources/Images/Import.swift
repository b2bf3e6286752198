import CImages
import Glibc
import JSON
import Sys

/// Imports an OCI image layout directory, an OCI archive (a tar of one), or a docker-archive
/// (`docker save`: manifest.json + layer tars, several images allowed). Every blob is verified
/// (size and digest) on its way into the store; files are opened inside the layout only.
public struct Importer {
    public let store: ContentStore
    public init(store: ContentStore) { self.store = store }

    /// Returns the names imported.
    public func importPath(_ path: String, name: String?) throws(ImageError) -> [ImageRef] {
        let lease = try store.lease()
        defer { withExtendedLifetime(lease) {} }
        if Files.isDirectory(path) { return try importDirectory(path, name: name) }
        guard Files.exists(path) else { throw ImageError("\(path): no such file or directory") }
        // An archive: unpack it (safely, no owners, no devices) into the store's tmp dir first.
        let tmp = store.root + "/tmp/import-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do { try Files.makeDirectories(tmp, mode: 0o700) } catch { throw ImageError("\(error)") }
        defer { try? Files.removeTree(tmp) }
        var u = Unpacker(root: tmp, whiteouts: .apply)
        u.restoreOwners = false
        u.allowDevices = false
        do throws(ImageError) {
            try u.unpack(try FileReader(path: path, decompress: true))
        } catch {
            throw ImageError("\(path): not a readable image archive: \(error)")
        }
        return try importDirectory(tmp, name: name, label: path)
    }

    private func importDirectory(_ dir: String, name: String?, label: String? = nil) throws(ImageError) -> [ImageRef] {
        let source = Source(dir: dir, label: label ?? dir)
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 { throw ImageError("open \(dir): \(String(cString: strerror(errno)))") }
        defer { close(dfd) }
        var source2 = source
        source2.fd = dfd
        if Files.exists(dir + "/manifest.json") { return try importDocker(source2, name: name) }
        if Files.exists(dir + "/oci-layout") { return try importLayout(source2, name: name) }
        throw ImageError("\(source.label): neither an OCI image layout (no oci-layout) nor a docker-archive (no manifest.json)")
    }

    struct Source {
        let dir: String
        let label: String
        var fd: Int32 = -1

        func open(_ rel: String) throws(ImageError) -> Int32 {
            let fd = cimg_open_contained(self.fd, rel, O_RDONLY)
            if fd < 0 { throw ImageError("\(label): \(rel): \(String(cString: strerror(-fd)))") }
            return fd
        }

        func read(_ rel: String, limit: Int = 4 << 20) throws(ImageError) -> [UInt8] {
            let r = try FileReader(path: "\(label): \(rel)", fd: open(rel))
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = try r.read(into: &chunk)
                if n == 0 { return out }
                out += chunk[0..<n]
                if out.count > limit { throw ImageError("\(label): \(rel) is larger than \(limit) bytes") }
            }
        }
    }

    // MARK: OCI layout

    private func importLayout(_ src: Source, name: String?) throws(ImageError) -> [ImageRef] {
        let layout = try parseJSON(try src.read("oci-layout"), "\(src.label): oci-layout")
        guard let v = layout["imageLayoutVersion"]?.string else { throw ImageError("\(src.label): oci-layout: imageLayoutVersion: missing") }
        guard v.hasPrefix("1.") else { throw ImageError("\(src.label): oci-layout: imageLayoutVersion \"\(v)\" is not supported") }
        let index = try parseJSON(try src.read("index.json"), "\(src.label): index.json")
        guard let ms = index["manifests"]?.array else { throw ImageError("\(src.label): index.json: manifests: missing or not an array") }
        var top: [Descriptor] = []
        for (i, m) in ms.enumerated() { top.append(try Descriptor.parse(m, "\(src.label): index.json: manifests[\(i)]")) }
        if top.isEmpty { throw ImageError("\(src.label): index.json: manifests is empty") }
        if name != nil && top.count > 1 { throw ImageError("\(src.label): index.json lists \(top.count) images; --name needs exactly one") }
        var out: [ImageRef] = []
        for (i, d) in top.enumerated() {
            let what = "\(src.label): index.json: manifests[\(i)]"
            guard let refName = name ?? d.annotations["io.containerd.image.name"] ?? d.annotations["org.opencontainers.image.ref.name"] else {
                throw ImageError("\(what): no org.opencontainers.image.ref.name annotation; pass --name")
            }
            let manifest = try resolveManifest(src, d, what)
            try importManifest(src, manifest, what)
            let ref = ImageRef(name: refName, digest: manifest.digest, mediaType: MediaType.manifest, size: manifest.size)
            try store.updateRefs { refs in refs.removeAll { $0.name == refName }; refs.append(ref) }
            out.append(ref)
        }
        return out
    }

    private func copyBlob(_ src: Source, _ d: Descriptor, _ what: String) throws(ImageError) {
        if store.has(d.digest) && store.fileSize(store.blobPath(d.digest)) == d.size { return }
        let rel = "blobs/sha256/" + d.digest.hex
        let r = try FileReader(path: "\(src.label): \(rel)", fd: src.open(rel))
        try store.ingest(r, expected: d.digest, size: d.size, what: "\(what) (\(rel))")
    }

    /// An index descriptor becomes the manifest for this host (linux, this architecture).
    private func resolveManifest(_ src: Source, _ d: Descriptor, _ what: String) throws(ImageError) -> Descriptor {
        if MediaType.isManifest(d.mediaType) { return d }
        guard MediaType.isIndex(d.mediaType) else { throw ImageError("\(what).mediaType: \"\(d.mediaType)\" is neither a manifest nor an index") }
        try copyBlob(src, d, what)
        let index = try parseJSON(try store.readBlob(d.digest), "\(what) (index \(d.digest))")
        guard let ms = index["manifests"]?.array else { throw ImageError("index \(d.digest): manifests: missing") }
        var candidates: [Descriptor] = []
        for (i, m) in ms.enumerated() { candidates.append(try Descriptor.parse(m, "index \(d.digest): manifests[\(i)]")) }
        guard let pick = Platform.host.select(candidates) ?? (candidates.count == 1 ? candidates.first : nil) else {
            throw ImageError("index \(d.digest): no manifest for \(Platform.host) (it has: \(platformList(candidates)))")
        }
        return try resolveManifest(src, pick, "index \(d.digest)")
    }

    private func importManifest(_ src: Source, _ d: Descriptor, _ what: String) throws(ImageError) {
        try copyBlob(src, d, what)
        let m = try Manifest.parse(try store.readBlob(d.digest), "manifest \(d.digest)")
        try copyBlob(src, m.config, "manifest \(d.digest): config")
        let config = try ImageConfig.parse(try store.readBlob(m.config.digest), "config \(m.config.digest)")
        if config.diffIDs.count != m.layers.count {
            throw ImageError("config \(m.config.digest): rootfs.diff_ids has \(config.diffIDs.count) entries but manifest \(d.digest) has \(m.layers.count) layers")
        }
        for (i, l) in m.layers.enumerated() { try copyBlob(src, l, "manifest \(d.digest): layers[\(i)]") }
    }

    // MARK: docker-archive

    private func importDocker(_ src: Source, name: String?) throws(ImageError) -> [ImageRef] {
        let doc = try parseJSON(try src.read("manifest.json"), "\(src.label): manifest.json")
        guard let images = doc.array, !images.isEmpty else { throw ImageError("\(src.label): manifest.json: not a non-empty array") }
        if name != nil && images.count > 1 { throw ImageError("\(src.label): manifest.json lists \(images.count) images; --name needs exactly one") }
        var out: [ImageRef] = []
        for (i, image) in images.enumerated() {
            let what = "\(src.label): manifest.json[\(i)]"
            guard let configPath = image["Config"]?.string else { throw ImageError("\(what).Config: missing or not a string") }
            guard let layerPaths = image["Layers"]?.array else { throw ImageError("\(what).Layers: missing or not an array") }
            let tags = (image["RepoTags"]?.array ?? []).compactMap(\.string)
            let names = name.map { [$0] } ?? tags
            if names.isEmpty { throw ImageError("\(what).RepoTags: no names; pass --name") }
            let configBytes = try src.read(configPath)
            let configDigest = try store.write(configBytes, what: "\(what).Config")
            let config = try ImageConfig.parse(configBytes, "\(src.label): \(configPath)")
            if config.diffIDs.count != layerPaths.count {
                throw ImageError("\(src.label): \(configPath): rootfs.diff_ids has \(config.diffIDs.count) entries but \(what).Layers has \(layerPaths.count)")
            }
            var layers: [Descriptor] = []
            for (j, lp) in layerPaths.enumerated() {
                guard let p = lp.string else { throw ImageError("\(what).Layers[\(j)]: not a string") }
                let fd = try src.open(p)
                var head = [UInt8](repeating: 0, count: 4)
                let n = pread(fd, &head, 4, 0)
                let compression = Compression.detect(Array(head.prefix(max(0, n))))
                let (digest, size) = try store.ingest(try FileReader(path: "\(src.label): \(p)", fd: fd), what: "\(what).Layers[\(j)]")
                if compression == .none && digest != config.diffIDs[j] {
                    throw ImageError("\(what).Layers[\(j)] (\(p)): digest \(digest) does not match rootfs.diff_ids[\(j)] \(config.diffIDs[j]) of \(configPath)")
                }
                layers.append(Descriptor(mediaType: MediaType.layer(for: compression), digest: digest, size: size))
            }
            let manifest = Manifest(config: Descriptor(mediaType: MediaType.config, digest: configDigest, size: Int64(configBytes.count)), layers: layers)
            let bytes = JSON.serializeBytes(manifest.json)
            let digest = try store.write(bytes, what: "manifest of \(what)")
            for n in names {
                let ref = ImageRef(name: n, digest: digest, mediaType: MediaType.manifest, size: Int64(bytes.count))
                try store.updateRefs { refs in refs.removeAll { $0.name == n }; refs.append(ref) }
                out.append(ref)
            }
        }
        return out
    }
}

var hostArchitecture: String {
    #if arch(x86_64)
    return "amd64"
    #elseif arch(arm64)
    return "arm64"
    #else
    return "unknown"
    #endif
}
