import Glibc
import Images
import Testing

@Suite(.serialized) struct ImagePruneTests {
    /// rmi keeps the blobs a running container uses; prune frees them only once it is deleted.
    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func pruneKeepsWhatRefsAndContainersUse() throws {
        let s = Scratch()
        defer { cleanupContainers(s) }
        makeLayout(s.base + "/a", name: "test/a:1")
        makeLayout(s.base + "/b", name: "test/b:1", files: [("etc/b", "b\n")])
        #expect(husk(s, "image import \(s.base)/a").0 == 0)
        #expect(husk(s, "image import \(s.base)/b").0 == 0)
        let (lrc, ls) = husk(s, "images")
        #expect(lrc == 0 && ls.contains("test/a:1") && ls.contains("test/b:1"), "\(ls)")
        let blobs = s.base + "/store/blobs/sha256"
        #expect(list(blobs).count == 7)  // 2 shared layers, b's layer, 2 configs, 2 manifests

        // Nothing unreferenced yet.
        let (p0, o0) = husk(s, "image prune")
        #expect(p0 == 0 && o0.contains("pruned 0 blobs (0 bytes), 0 snapshots"), "\(o0)")

        let (rrc, ro) = husk(s, "run -d --name keep test/b:1 sleep 100")
        #expect(rrc == 0, "\(ro)")
        #expect(list(s.base + "/store/snapshots").count == 3)
        let (mrc, mo) = husk(s, "rmi test/a:1 test/b:1")
        #expect(mrc == 0 && mo == "removed test/a:1\nremoved test/b:1\n", "\(mo)")
        #expect(!husk(s, "images").1.contains("test/"))

        // a's own config and manifest go; everything b (in use) needs stays.
        let (p1, o1) = husk(s, "image prune")
        #expect(p1 == 0 && o1.hasPrefix("pruned 2 blobs (") && o1.contains(", 0 snapshots"), "\(o1)")
        #expect(list(blobs).count == 5 && list(s.base + "/store/snapshots").count == 3)
        let (erc, eo) = husk(s, "exec keep cat /etc/b")
        #expect(erc == 0 && eo == "b\n", "\(eo)")

        #expect(husk(s, "delete --force keep").0 == 0)
        let (p2, o2) = husk(s, "image prune")
        #expect(p2 == 0 && o2.hasPrefix("pruned 5 blobs (") && o2.contains(", 3 snapshots ("), "\(o2)")
        #expect(list(blobs).isEmpty && list(s.base + "/store/snapshots").isEmpty)
        #expect(!o2.contains("; 0 bytes freed"))
        #expect(husk(s, "rmi test/gone:1").1.contains("not found"))
    }

    /// prune waits for a holder of the store's lease (an import, pull or run in progress).
    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func pruneWaitsForTheLease() throws {
        let s = Scratch()
        makeLayout(s.base + "/a", name: "test/a:1")
        #expect(husk(s, "image import \(s.base)/a").0 == 0)
        #expect(husk(s, "rmi test/a:1").0 == 0)
        // A leftover ingest file, as a crashed import leaves it.
        writeFile(s.base + "/store/ingest/123-456", [1, 2, 3])
        #expect(system("flock -s \(s.base)/store/gc.lock sleep 1.5 & sleep 0.2") == 0)
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t0)
        let (rc, out) = husk(s, "image prune")
        clock_gettime(CLOCK_MONOTONIC, &t1)
        let waited = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
        #expect(rc == 0 && out.hasPrefix("pruned 4 blobs"), "\(out)")
        #expect(waited > 1.0, "prune did not wait for the shared lock (\(waited) s)")
        #expect(list(s.base + "/store/ingest").isEmpty)
    }
}
