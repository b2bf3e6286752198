import Glibc
import Images
import JSON
import Testing

/// Needs root, HUSK_BINARY and /bin/busybox (busybox-static): builds images in the test, imports
/// them into a temp store and runs them.
let huskBinary: String? = getenv("HUSK_BINARY").map { String(cString: $0) }
let canRunImages = geteuid() == 0 && huskBinary.map { access($0, X_OK) == 0 } == true && access("/bin/busybox", X_OK) == 0

func readFile(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "r") else { return [] }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true { let n = fread(&buf, 1, buf.count, f); if n <= 0 { break }; out += buf[0..<n] }
    return out
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let f = fopen(path, "w")!
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
}

/// Two layers: busybox + applets + /etc/gone, then a whiteout of /etc/gone and /etc/hello.
func busyboxLayers() -> [[UInt8]] {
    var w1 = TarBuilder()
    w1.add(dir("bin")); w1.add(dir("etc"))
    var bb = TarEntry(kind: .file, path: "bin/busybox"); bb.mode = 0o755
    w1.add(bb, data: readFile("/bin/busybox"))
    for a in ["sh", "echo", "cat", "ls", "pwd", "env", "id", "sleep", "true", "grep", "touch", "readlink", "stat", "tty"] { w1.add(link(.symlink, "bin/" + a, "busybox")) }
    let (g, gd) = file("etc/gone", "gone"); w1.add(g, data: gd)
    w1.finish()
    var w2 = TarBuilder()
    w2.add(TarEntry(kind: .file, path: "etc/.wh.gone"), data: [])
    let (h, hd) = file("etc/hello", "hello from layer 2\n"); w2.add(h, data: hd)
    w2.finish()
    return [w1.bytes, w2.bytes]
}

func configJSON(_ diffIDs: [Digest]) -> [UInt8] {
    let v: JSONValue = [
        "architecture": "amd64", "os": "linux",
        "config": ["Cmd": ["sh"], "Env": ["PATH=/bin", "FROM_IMAGE=yes"], "WorkingDir": "/etc"],
        "rootfs": ["type": "layers", "diff_ids": .array(diffIDs.map { .string($0.description) })],
    ]
    return JSON.serializeBytes(v)
}

func husk(_ s: Scratch, _ args: String, cwd: String? = nil) -> (Int32, String) {
    let out = s.base + "/out"
    let rc = system("\(cwd.map { "cd \($0) && " } ?? "")\(huskBinary!) --root \(s.base)/state --storage \(s.base)/store \(args) >\(out) 2>&1 </dev/null")
    let text = String(decoding: readFile(out), as: UTF8.self)
    unlink(out)
    return (rc == -1 ? -1 : (rc >> 8) & 0xff, text)
}

@Suite(.serialized) struct ImageRunTests {
    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func ociLayoutImportRunAndRm() throws {
        let s = Scratch()
        defer { _ = system("umount -R \(s.base)/store/containers/* 2>/dev/null") }
        let layout = s.base + "/layout"
        mkdir(layout, 0o755); mkdir(layout + "/blobs", 0o755); mkdir(layout + "/blobs/sha256", 0o755)
        func blob(_ b: [UInt8]) -> Digest { let d = Digest.of(b); writeFile(layout + "/blobs/sha256/" + d.hex, b); return d }
        let layers = busyboxLayers()
        let config = configJSON(layers.map { Digest.of($0) })
        let manifest = Manifest(config: Descriptor(mediaType: MediaType.config, digest: blob(config), size: Int64(config.count)),
                                layers: layers.map { Descriptor(mediaType: MediaType.layer, digest: blob($0), size: Int64($0.count)) })
        let mbytes = JSON.serializeBytes(manifest.json)
        var md = Descriptor(mediaType: MediaType.manifest, digest: blob(mbytes), size: Int64(mbytes.count))
        md.annotations["org.opencontainers.image.ref.name"] = "test/busybox:1"
        writeFile(layout + "/oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        writeFile(layout + "/index.json", JSON.serializeBytes(["schemaVersion": 2, "manifests": [md.json]]))

        let (rc, out) = husk(s, "image import \(layout)")
        #expect(rc == 0, "\(out)")
        let (_, ls) = husk(s, "image ls")
        #expect(ls.contains("test/busybox:1"))

        let (rc2, hi) = husk(s, "run --rm test/busybox:1 echo hi")
        #expect(rc2 == 0 && hi == "hi\n", "\(hi)")
        let (rc3, o3) = husk(s, "run --rm -e X=1 test/busybox:1 sh -c 'pwd; cat hello; ls /etc; echo $X $FROM_IMAGE'")
        #expect(rc3 == 0 && o3 == "/etc\nhello from layer 2\nhello\n1 yes\n", "\(o3)")
        #expect(list(s.base + "/store/containers").isEmpty)

        // A corrupted blob is refused with the file named, and nothing is stored.
        writeFile(layout + "/blobs/sha256/" + Digest.of(layers[1]).hex, layers[1] + [0])
        let (rc4, o4) = husk(s, "--storage \(s.base)/store2 image import \(layout)")
        #expect(rc4 != 0 && o4.contains("layers[1]"), "\(o4)")

        let (rc5, _) = husk(s, "image rm test/busybox:1")
        #expect(rc5 == 0)
        #expect(!husk(s, "image ls").1.contains("test/busybox"))
    }

    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func dockerArchiveWithTwoImages() throws {
        let s = Scratch()
        defer { _ = system("umount -R \(s.base)/store/containers/* 2>/dev/null") }
        let layers = busyboxLayers()
        let config = configJSON(layers.map { Digest.of($0) })
        var w = TarBuilder()
        w.add(dir("l1")); w.add(dir("l2"))
        w.add(TarEntry(kind: .file, path: "l1/layer.tar"), data: layers[0])
        w.add(TarEntry(kind: .file, path: "l2/layer.tar"), data: layers[1])
        w.add(TarEntry(kind: .file, path: "config.json"), data: config)
        let manifest: JSONValue = [
            ["Config": "config.json", "RepoTags": ["docker/one:latest"], "Layers": ["l1/layer.tar", "l2/layer.tar"]],
            ["Config": "config.json", "RepoTags": ["docker/two:latest"], "Layers": ["l1/layer.tar", "l2/layer.tar"]],
        ]
        w.add(TarEntry(kind: .file, path: "manifest.json"), data: JSON.serializeBytes(manifest))
        w.finish()
        writeFile(s.base + "/archive.tar", w.bytes)
        let (rc, out) = husk(s, "image import \(s.base)/archive.tar")
        #expect(rc == 0 && out.contains("docker/one:latest") && out.contains("docker/two:latest"), "\(out)")
        let (rc2, o2) = husk(s, "run --rm docker/two cat /etc/hello")
        #expect(rc2 == 0 && o2 == "hello from layer 2\n", "\(o2)")
        #expect(list(s.base + "/store/containers").isEmpty)
    }
}
