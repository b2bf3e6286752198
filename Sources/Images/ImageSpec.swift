import JSON

extension JSONValue {
    subscript(key: String) -> JSONValue? { object?[key] }
}

public enum MediaType {
    public static let manifest = "application/vnd.oci.image.manifest.v1+json"
    public static let index = "application/vnd.oci.image.index.v1+json"
    public static let config = "application/vnd.oci.image.config.v1+json"
    public static let layer = "application/vnd.oci.image.layer.v1.tar"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"

    public static func isManifest(_ m: String) -> Bool { m == manifest || m == dockerManifest }
    public static func isIndex(_ m: String) -> Bool { m == index || m == dockerList }
    public static func isConfig(_ m: String) -> Bool { m == config || m == dockerConfig }
    public static func isLayer(_ m: String) -> Bool {
        m.hasPrefix("application/vnd.oci.image.layer.") || m.hasPrefix("application/vnd.docker.image.rootfs.")
    }
    public static func layer(for c: Compression) -> String { c == .none ? layer : layer + "+" + c.rawValue }
}

/// An image-spec descriptor; parse errors name the file and the field path.
public struct Descriptor: Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var annotations: [String: String] = [:]
    public var platform: Platform? = nil

    public init(mediaType: String, digest: Digest, size: Int64) {
        self.mediaType = mediaType; self.digest = digest; self.size = size
    }

    public static func parse(_ v: JSONValue, _ what: String) throws(ImageError) -> Descriptor {
        guard v.object != nil else { throw ImageError("\(what): not an object") }
        guard let mt = v["mediaType"]?.string else { throw ImageError("\(what).mediaType: missing or not a string") }
        guard let ds = v["digest"]?.string else { throw ImageError("\(what).digest: missing or not a string") }
        guard let size = v["size"]?.int64, size >= 0 else { throw ImageError("\(what).size: missing or not a non-negative integer") }
        var d = Descriptor(mediaType: mt, digest: try Digest(parsing: ds, what: "\(what).digest"), size: size)
        for (k, a) in v["annotations"]?.object?.pairs ?? [] { if let s = a.string { d.annotations[k] = s } }
        if let p = v["platform"], let os = p["os"]?.string, let arch = p["architecture"]?.string {
            d.platform = Platform(os: os, architecture: arch, variant: p["variant"]?.string)
        }
        return d
    }

    public var json: JSONValue {
        var o: JSONObject = ["mediaType": .string(mediaType), "digest": .string(digest.description), "size": .int(size)]
        if !annotations.isEmpty { o["annotations"] = .object(JSONObject(annotations.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })) }
        return .object(o)
    }
}

func parseJSON(_ bytes: [UInt8], _ what: String) throws(ImageError) -> JSONValue {
    do { return try JSON.parse(bytes) } catch { throw ImageError("\(what): \(error)") }
}

public struct Manifest: Sendable {
    public var config: Descriptor
    public var layers: [Descriptor]

    public init(config: Descriptor, layers: [Descriptor]) { self.config = config; self.layers = layers }

    public static func parse(_ bytes: [UInt8], _ what: String) throws(ImageError) -> Manifest {
        let v = try parseJSON(bytes, what)
        guard v["schemaVersion"]?.int64 == 2 else { throw ImageError("\(what).schemaVersion: must be 2") }
        if let mt = v["mediaType"]?.string, !MediaType.isManifest(mt) { throw ImageError("\(what).mediaType: \"\(mt)\" is not an image manifest") }
        guard let c = v["config"] else { throw ImageError("\(what).config: missing") }
        let config = try Descriptor.parse(c, "\(what).config")
        if !MediaType.isConfig(config.mediaType) { throw ImageError("\(what).config.mediaType: \"\(config.mediaType)\" is not an image config") }
        guard let ls = v["layers"]?.array else { throw ImageError("\(what).layers: missing or not an array") }
        var layers: [Descriptor] = []
        for (i, l) in ls.enumerated() {
            let d = try Descriptor.parse(l, "\(what).layers[\(i)]")
            if !MediaType.isLayer(d.mediaType) { throw ImageError("\(what).layers[\(i)].mediaType: \"\(d.mediaType)\" is not a layer") }
            layers.append(d)
        }
        return Manifest(config: config, layers: layers)
    }

    public var json: JSONValue {
        ["schemaVersion": 2, "mediaType": .string(MediaType.manifest), "config": config.json, "layers": .array(layers.map(\.json))]
    }
}

/// The parts of an image config husk uses.
public struct ImageConfig: Sendable {
    public var entrypoint: [String] = []
    public var cmd: [String] = []
    public var env: [String] = []
    public var workingDir = ""
    public var user = ""
    /// Paths the image declares as volumes (config.Volumes keys), sorted.
    public var volumes: [String] = []
    /// config.StopSignal ("SIGTERM", "15", …), empty when unset.
    public var stopSignal = ""
    public var diffIDs: [Digest] = []

    public static func parse(_ bytes: [UInt8], _ what: String) throws(ImageError) -> ImageConfig {
        let v = try parseJSON(bytes, what)
        guard v.object != nil else { throw ImageError("\(what): not an object") }
        var c = ImageConfig()
        guard let rootfs = v["rootfs"], rootfs["type"]?.string == "layers" else { throw ImageError("\(what).rootfs.type: must be \"layers\"") }
        guard let ids = rootfs["diff_ids"]?.array else { throw ImageError("\(what).rootfs.diff_ids: missing or not an array") }
        for (i, d) in ids.enumerated() {
            guard let s = d.string else { throw ImageError("\(what).rootfs.diff_ids[\(i)]: not a string") }
            c.diffIDs.append(try Digest(parsing: s, what: "\(what).rootfs.diff_ids[\(i)]"))
        }
        if let cfg = v["config"], cfg.object != nil {
            func strings(_ key: String) throws(ImageError) -> [String] {
                guard let a = cfg[key], !a.isNull else { return [] }
                guard let arr = a.array else { throw ImageError("\(what).config.\(key): not an array") }
                var out: [String] = []
                for (i, s) in arr.enumerated() {
                    guard let s = s.string else { throw ImageError("\(what).config.\(key)[\(i)]: not a string") }
                    out.append(s)
                }
                return out
            }
            c.entrypoint = try strings("Entrypoint")
            c.cmd = try strings("Cmd")
            c.env = try strings("Env")
            c.workingDir = cfg["WorkingDir"]?.string ?? ""
            c.user = cfg["User"]?.string ?? ""
            c.stopSignal = cfg["StopSignal"]?.string ?? ""
            if let v = cfg["Volumes"], !v.isNull {
                guard let o = v.object else { throw ImageError("\(what).config.Volumes: not an object") }
                c.volumes = o.pairs.map(\.0).sorted()
            }
        }
        return c
    }
}

/// A stored image: its manifest and config, checked against each other.
public struct StoredImage: Sendable {
    public var ref: ImageRef
    public var manifest: Manifest
    public var config: ImageConfig

    public static func load(_ store: ContentStore, _ ref: ImageRef) throws(ImageError) -> StoredImage {
        let manifest = try Manifest.parse(try store.readBlob(ref.digest), "manifest \(ref.digest)")
        let config = try ImageConfig.parse(try store.readBlob(manifest.config.digest), "config \(manifest.config.digest)")
        if config.diffIDs.count != manifest.layers.count {
            throw ImageError("config \(manifest.config.digest): rootfs.diff_ids has \(config.diffIDs.count) entries but the manifest has \(manifest.layers.count) layers")
        }
        return StoredImage(ref: ref, manifest: manifest, config: config)
    }

    public var size: Int64 { ref.size + manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size } }
}
