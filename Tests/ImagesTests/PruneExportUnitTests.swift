import Glibc
import Images
import JSON
import Testing

@Suite struct ExportFormatTests {
    @Test func formatByFlagOrSuffix() throws {
        #expect(try Exporter.Format.choose(nil, dest: "/x/out.tar") == .ociArchive)
        #expect(try Exporter.Format.choose(nil, dest: "/x/out") == .ociDir)
        #expect(try Exporter.Format.choose("oci-dir", dest: "/x/out.tar") == .ociDir)
        #expect(throws: ImageError.self) { try Exporter.Format.choose("docker-archive", dest: "x") }
    }
}

@Suite struct PruneUnitTests {
    /// A store in a temp dir (no root needed): one named image, one whose name was removed but a
    /// container bundle still records it, stray blobs, snapshots and scratch files.
    @Test func marksRefsAndBundlesSweepsTheRest() throws {
        let s = Scratch()
        let store = try ContentStore(root: s.base + "/store")
        func image(_ layerText: String) throws -> (ImageRef, Digest) {
            let layer = Array(layerText.utf8)
            let ld = try store.write(layer, what: "layer")
            let config = JSON.serializeBytes(["rootfs": ["type": "layers", "diff_ids": [.string(ld.description)]]])
            let cd = try store.write(config, what: "config")
            let m = Manifest(config: Descriptor(mediaType: MediaType.config, digest: cd, size: Int64(config.count)),
                             layers: [Descriptor(mediaType: MediaType.layer, digest: ld, size: Int64(layer.count))])
            let mb = JSON.serializeBytes(m.json)
            let md = try store.write(mb, what: "manifest")
            mkdir(s.base + "/store/snapshots/" + ld.hex, 0o755)  // chain ID of a one-layer image = its diff ID
            return (ImageRef(name: "n/\(layerText):1", digest: md, mediaType: MediaType.manifest, size: Int64(mb.count)), ld)
        }
        let (named, namedLayer) = try image("named")
        let (used, usedLayer) = try image("used")
        let (_, goneLayer) = try image("gone")
        try store.updateRefs { $0.append(named) }
        mkdir(s.base + "/store/containers/c1", 0o755)
        writeFile(s.base + "/store/containers/c1/image.json", JSON.serializeBytes(["manifest": .string(used.digest.description)]))
        try store.write(Array("stray".utf8), what: "stray")
        mkdir(s.base + "/store/snapshots/tmp-abc-1", 0o755)
        writeFile(s.base + "/store/ingest/1-2", [0])

        let r = try Pruner(store: store).prune()
        #expect(r.blobs == 4)  // gone's layer, config, manifest; the stray blob
        #expect(r.snapshots == 2)  // gone's snapshot and the unpack leftover
        #expect(r.blobBytes > 0 && r.scratch == 1)
        #expect(store.has(named.digest) && store.has(used.digest) && store.has(namedLayer) && store.has(usedLayer))
        #expect(!store.has(goneLayer))
        #expect(list(s.base + "/store/snapshots") == [namedLayer.hex, usedLayer.hex].sorted())
        #expect(try Pruner(store: store).prune().blobs == 0)
    }
}
