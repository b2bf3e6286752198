import Glibc
import Images
import Testing

/// An image run's bundle (containers/<id>: overlay mount, upper and work dirs) lives exactly as
/// long as the container: nothing stays behind, whichever way the container goes.
@Suite(.serialized) struct ImageLifecycleTests {
    func expectNothingLeft(_ s: Scratch, _ id: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(list(s.base + "/store/containers").isEmpty, sourceLocation: sourceLocation)
        #expect(mountsUnder(s.base + "/store").isEmpty, "\(mountsUnder(s.base + "/store"))", sourceLocation: sourceLocation)
        #expect(!list(s.base + "/state").contains(id), sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func deleteRemovesTheBundle() throws {
        let s = Scratch()
        defer { cleanupContainers(s) }
        makeLayout(s.base + "/a", name: "test/life:1")
        #expect(husk(s, "image import \(s.base)/a").0 == 0)

        // -d, exits by itself, then delete.
        #expect(husk(s, "run -d --name done test/life:1 sh -c 'echo x > /etc/new'").0 == 0)
        #expect(list(s.base + "/store/containers") == ["done"])
        #expect(mountsUnder(s.base + "/store/containers/done/rootfs").count == 1)
        #expect(eventually(10) { husk(s, "state done").1.contains("stopped") })
        #expect(readFile(s.base + "/store/containers/done/upper/etc/new") == Array("x\n".utf8))
        let (drc, dout) = husk(s, "delete done")
        #expect(drc == 0, "\(dout)")
        expectNothingLeft(s, "done")

        // delete --force of a running one.
        #expect(husk(s, "run -d --name busy test/life:1 sleep 100").0 == 0)
        #expect(husk(s, "delete --force busy").0 == 0)
        expectNothingLeft(s, "busy")

        // -d --rm: the supervisor deletes it when it exits.
        #expect(husk(s, "run -d --rm --name brief test/life:1 sleep 0.3").0 == 0)
        #expect(eventually(10) { list(s.base + "/store/containers").isEmpty })
        #expect(eventually(5) { !list(s.base + "/state").contains("brief") })
        expectNothingLeft(s, "brief")

        // Foreground, with and without --rm, success and failure.
        #expect(husk(s, "run --name fg test/life:1 true").0 == 0)
        expectNothingLeft(s, "fg")
        #expect(husk(s, "run --rm --name fg2 test/life:1 sh -c 'exit 3'").0 == 3)
        expectNothingLeft(s, "fg2")
        let (nrc, nout) = husk(s, "run --name nocmd test/life:1 /no/such/program")
        #expect(nrc != 0, "\(nout)")
        expectNothingLeft(s, "nocmd")
        // A bad option after the bundle was made, and a duplicate name.
        #expect(husk(s, "run -d --name dup test/life:1 sleep 100").0 == 0)
        let (duprc, dupout) = husk(s, "run --name dup test/life:1 true")
        #expect(duprc != 0 && dupout.contains("already exists"), "\(dupout)")
        #expect(husk(s, "delete --force dup").0 == 0)
        expectNothingLeft(s, "dup")
    }

    /// A runc bundle is never removed by delete, even one in a directory called "containers".
    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func deleteLeavesRuncBundlesAlone() throws {
        let s = Scratch()
        let bundle = s.base + "/containers/mine"
        #expect(makeBundle(bundle, args: "true"))
        writeFile(bundle + "/image.json", Array(#"{"manifest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}"#.utf8))
        #expect(husk(s, "run -b \(bundle) mine").0 == 0)
        #expect(list(bundle).contains("config.json") && list(bundle).contains("rootfs"))
    }
}

/// A runc bundle: busybox rootfs and `husk spec` with `args` as `sh -c ARGS`.
func makeBundle(_ dir: String, args: String) -> Bool {
    system("""
        mkdir -p \(dir)/rootfs/bin && cp /bin/busybox \(dir)/rootfs/bin/ && for a in sh echo true cat; do ln -sf busybox \(dir)/rootfs/bin/$a; done && \
        cd \(dir) && \(huskBinary!) spec && \
        jq '.process.terminal=false | .process.args=["sh","-c",\"\(args)\"]' config.json > c && mv c config.json
        """) == 0
}
