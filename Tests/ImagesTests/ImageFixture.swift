import Glibc
import Images
import JSON

/// Builds an OCI layout of the busybox test image (busyboxLayers) at `dir`, with `config` merged
/// into the image config's "config" object and `files` (path → text) in a third layer; returns
/// the manifest digest.
@discardableResult
func makeLayout(_ dir: String, name: String, config extra: JSONObject = [:], files: [(String, String)] = []) -> Digest {
    mkdir(dir, 0o755); mkdir(dir + "/blobs", 0o755); mkdir(dir + "/blobs/sha256", 0o755)
    func blob(_ b: [UInt8]) -> Digest { let d = Digest.of(b); writeFile(dir + "/blobs/sha256/" + d.hex, b); return d }
    var layers = busyboxLayers()
    if !files.isEmpty {
        var w = TarBuilder()
        for (path, text) in files { let (e, d) = file(path, text); w.add(e, data: d) }
        w.finish()
        layers.append(w.bytes)
    }
    var cfg: JSONObject = ["Cmd": ["sh"], "Env": ["PATH=/bin", "FROM_IMAGE=yes"], "WorkingDir": "/etc"]
    for (k, v) in extra.pairs { cfg[k] = v }
    let config = JSON.serializeBytes([
        "architecture": "amd64", "os": "linux", "config": .object(cfg),
        "rootfs": ["type": "layers", "diff_ids": .array(layers.map { .string(Digest.of($0).description) })],
    ])
    let manifest = Manifest(config: Descriptor(mediaType: MediaType.config, digest: blob(config), size: Int64(config.count)),
                            layers: layers.map { Descriptor(mediaType: MediaType.layer, digest: blob($0), size: Int64($0.count)) })
    let mbytes = JSON.serializeBytes(manifest.json)
    var md = Descriptor(mediaType: MediaType.manifest, digest: blob(mbytes), size: Int64(mbytes.count))
    md.annotations["org.opencontainers.image.ref.name"] = name
    writeFile(dir + "/oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
    writeFile(dir + "/index.json", JSON.serializeBytes(["schemaVersion": 2, "manifests": [md.json]]))
    return md.digest
}

/// The lines of /proc/self/mountinfo that mention `path`.
func mountsUnder(_ path: String) -> [String] {
    String(decoding: readFile("/proc/self/mountinfo"), as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.contains(path) }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    var waited = 0.0
    while waited < seconds {
        if condition() { return true }
        usleep(50_000)
        waited += 0.05
    }
    return condition()
}

/// Deletes every container left in the scratch state root and unmounts the store's bundles.
func cleanupContainers(_ s: Scratch) {
    for id in list(s.base + "/state") { _ = husk(s, "delete --force \(id)") }
    _ = system("umount -R \(s.base)/store/containers/*/rootfs 2>/dev/null")
}
