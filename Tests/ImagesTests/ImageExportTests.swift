import Glibc
import Images
import Testing

let hasSkopeo = access("/usr/bin/skopeo", X_OK) == 0

@Suite(.serialized) struct ImageExportTests {
    /// export → import into a fresh store gives the same manifest digest, and the image runs.
    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func exportRoundTripsAsDirectoryAndArchive() throws {
        let s = Scratch()
        defer { cleanupContainers(s) }
        let digest = makeLayout(s.base + "/layout", name: "test/round:1")
        #expect(husk(s, "image import \(s.base)/layout").0 == 0)

        let (rc1, o1) = husk(s, "image export test/round:1 \(s.base)/out-dir")
        #expect(rc1 == 0 && o1.contains("oci-dir"), "\(o1)")
        let (rc2, o2) = husk(s, "image export test/round:1 \(s.base)/out.tar")
        #expect(rc2 == 0 && o2.contains("oci-archive"), "\(o2)")
        let (rc3, o3) = husk(s, "image export --format oci-archive test/round:1 \(s.base)/out-archive")
        #expect(rc3 == 0, "\(o3)")
        #expect(list(s.base + "/out-dir") == ["blobs", "index.json", "oci-layout"])

        for (i, path) in ["out-dir", "out.tar", "out-archive"].enumerated() {
            let store = "--storage \(s.base)/fresh\(i)"
            let (rc, out) = husk(s, "\(store) image import \(s.base)/\(path)")
            #expect(rc == 0 && out == "imported test/round:1 \(digest)\n", "\(path): \(out)")
            let (rrc, rout) = husk(s, "\(store) run test/round:1 cat /etc/hello")
            #expect(rrc == 0 && rout == "hello from layer 2\n", "\(path): \(rout)")
        }
        // An existing destination is refused, nothing is written beside it.
        let (rc4, o4) = husk(s, "image export test/round:1 \(s.base)/out.tar")
        #expect(rc4 != 0 && o4.contains("already exists"), "\(o4)")
        #expect(husk(s, "image export test/nope:1 \(s.base)/x").1.contains("not found"))
        #expect(husk(s, "image export --format zip test/round:1 \(s.base)/x").1.contains("oci-dir or oci-archive"))
        #expect(!list(s.base).contains { $0.contains("husk-tmp") })
    }

    /// skopeo (containers/image) reads both forms as valid OCI layouts with the same digest.
    @Test(.enabled(if: canRunImages && hasSkopeo, "needs root, HUSK_BINARY, /bin/busybox and skopeo"))
    func skopeoAcceptsTheLayout() throws {
        let s = Scratch()
        let digest = makeLayout(s.base + "/layout", name: "test/skopeo:2")
        #expect(husk(s, "image import \(s.base)/layout").0 == 0)
        #expect(husk(s, "image export test/skopeo:2 \(s.base)/dir").0 == 0)
        #expect(husk(s, "image export test/skopeo:2 \(s.base)/a.tar").0 == 0)
        for ref in ["oci:\(s.base)/dir", "oci:\(s.base)/dir:2", "oci-archive:\(s.base)/a.tar"] {
            let rc = system("skopeo inspect --raw \(ref) >\(s.base)/raw 2>&1")
            let raw = String(decoding: readFile(s.base + "/raw"), as: UTF8.self)
            #expect(rc == 0 && Digest.of(readFile(s.base + "/raw")) == digest, "\(ref): \(raw)")
            let rc2 = system("skopeo inspect \(ref) >\(s.base)/info 2>&1")
            let info = String(decoding: readFile(s.base + "/info"), as: UTF8.self)
            #expect(rc2 == 0 && info.contains("\"Layers\""), "\(ref): \(info)")
        }
        // And skopeo's own copy of it (skopeo rewrites the manifest) imports back and runs.
        #expect(system("skopeo copy oci:\(s.base)/dir oci:\(s.base)/copied:back >/dev/null 2>&1") == 0)
        let (rc, out) = husk(s, "--storage \(s.base)/fresh image import --name test/copied:1 \(s.base)/copied")
        #expect(rc == 0, "\(out)")
        let (rrc, rout) = husk(s, "--storage \(s.base)/fresh run test/copied:1 cat /etc/hello")
        #expect(rrc == 0 && rout == "hello from layer 2\n", "\(rout)")
        cleanupContainers(s)
    }

    /// A blob corrupted in the store is not exported; the destination does not appear.
    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func corruptStoreIsNotExported() throws {
        let s = Scratch()
        makeLayout(s.base + "/layout", name: "test/corrupt:1")
        #expect(husk(s, "image import \(s.base)/layout").0 == 0)
        let layer = Digest.of(busyboxLayers()[1])
        let path = s.base + "/store/blobs/sha256/" + layer.hex
        var bytes = readFile(path); bytes[600] ^= 0xff
        writeFile(path, bytes)
        for dest in ["d", "a.tar"] {
            let (rc, out) = husk(s, "image export test/corrupt:1 \(s.base)/\(dest)")
            #expect(rc != 0 && out.contains(layer.description) && out.contains("corrupt"), "\(out)")
            #expect(!list(s.base).contains(dest))
        }
        #expect(!list(s.base).contains { $0.contains("husk-tmp") })
    }
}
