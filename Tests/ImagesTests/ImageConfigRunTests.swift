import Glibc
import Images
import JSON
import Testing

/// What `husk run IMAGE` takes from the image config and the command line: users, volumes,
/// stop signal, binds, network, memory.
@Suite(.serialized) struct ImageConfigRunTests {
    static let passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n"
    static let group = "root:x:0:\napp:x:1001:\nextra:x:2000:bob,app\nother:x:3000:app\nnone:x:4000:bob\n"

    func importUsers(_ s: Scratch, config: JSONObject = [:]) {
        makeLayout(s.base + "/u", name: "test/users:1", config: config,
                   files: [("etc/passwd", Self.passwd), ("etc/group", Self.group)])
        #expect(husk(s, "image import \(s.base)/u").0 == 0)
    }

    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func userFromTheImagesPasswdAndGroup() throws {
        let s = Scratch()
        defer { cleanupContainers(s) }
        importUsers(s)
        let ids = "sh -c 'echo $(id -u) $(id -g) $(id -G)'"
        for (user, want) in [("app", "1000 1001 1001 2000 3000"), ("1000", "1000 1001 1001 2000 3000"),
                             ("app:extra", "1000 2000 2000"), ("app:0", "1000 0 0"), ("1234:5678", "1234 5678 5678"),
                             ("1234", "1234 0 0"), ("root", "0 0 0")] {
            let (rc, out) = husk(s, "run -u \(user) test/users:1 \(ids)")
            #expect(rc == 0 && out == want + "\n", "-u \(user): \(out)")
        }
        let (rc, out) = husk(s, "run --user ghost test/users:1 true")
        #expect(rc != 0 && out.contains("ghost") && out.contains("/etc/passwd"), "\(out)")
        let (rc2, out2) = husk(s, "run -u app:nogroup test/users:1 true")
        #expect(rc2 != 0 && out2.contains("nogroup") && out2.contains("/etc/group"), "\(out2)")
        #expect(list(s.base + "/store/containers").isEmpty)
    }

    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func configUserVolumesAndStopSignal() throws {
        let s = Scratch()
        defer { cleanupContainers(s) }
        importUsers(s, config: ["User": "app", "Volumes": ["/data": [:] as JSONValue, "/cache": [:] as JSONValue], "StopSignal": "SIGUSR1"])
        let (rc, out) = husk(s, "run test/users:1 sh -c 'id -u; grep -c -e \" /data \" -e \" /cache \" /proc/self/mountinfo'")
        #expect(rc == 0 && out == "1000\n2\n", "\(out)")
        #expect(husk(s, "run -u 0 test/users:1 id -u").1 == "0\n")  // -u wins over config.User

        // StopSignal: recorded as the OCI annotation; `husk kill ID` without a signal sends it.
        let script = "trap \\\"echo got-usr1; exit 7\\\" USR1; echo ready; while true; do sleep 0.05; done"
        #expect(husk(s, "run -d --name stop test/users:1 sh -c \"\(script)\"").0 == 0)
        let config = String(decoding: readFile(s.base + "/store/containers/stop/config.json"), as: UTF8.self)
        #expect(config.contains("\"org.opencontainers.image.stopSignal\": \"SIGUSR1\""), "\(config)")
        #expect(eventually(5) { husk(s, "logs stop").1.contains("ready") })
        #expect(husk(s, "kill stop").0 == 0)
        #expect(eventually(5) { husk(s, "logs stop").1.contains("got-usr1") })
        #expect(eventually(5) { husk(s, "state stop").1.contains("stopped") })
    }

    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func bindsNetworkAndMemory() throws {
        let s = Scratch()
        defer { cleanupContainers(s) }
        importUsers(s)
        mkdir(s.base + "/shared", 0o755)
        writeFile(s.base + "/shared/in", Array("from host\n".utf8))
        let (rc, out) = husk(s, "run -v \(s.base)/shared:/mnt/rw -v \(s.base)/shared:/mnt/ro:ro test/users:1 sh -c 'cat /mnt/ro/in; echo out > /mnt/rw/out; touch /mnt/ro/x 2>/dev/null || echo ro-refused'")
        #expect(rc == 0 && out == "from host\nro-refused\n", "\(out)")
        #expect(readFile(s.base + "/shared/out") == Array("out\n".utf8))
        #expect(husk(s, "run -v /no/such/dir:/x test/users:1 true").1.contains("/no/such/dir"))
        #expect(husk(s, "run -v relative-dst test/users:1 true").1.contains("SRC:DST"))

        var host = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/self/ns/net", &host, 255)
        let hostNet = String(cString: Array(host[0..<max(0, n)]) + [0])
        let (hrc, hout) = husk(s, "run --network host test/users:1 readlink /proc/self/ns/net")
        #expect(hrc == 0 && hout == hostNet + "\n", "\(hout) vs \(hostNet)")
        let (nrc, nout) = husk(s, "run --network none test/users:1 readlink /proc/self/ns/net")
        #expect(nrc == 0 && nout != hostNet + "\n" && nout.hasPrefix("net:"), "\(nout)")
        #expect(husk(s, "run --network bridge test/users:1 true").1.contains("none or host"))

        #expect(husk(s, "run -d --memory 48m --name mem test/users:1 sleep 100").0 == 0)
        let state = String(decoding: Array(husk(s, "state mem").1.utf8), as: UTF8.self)
        let pid = state.split(separator: "\n").first { $0.contains("\"pid\"") }.flatMap { $0.split(separator: ":").last }
            .map { $0.filter(\.isNumber) } ?? ""
        let cgroupLine = String(decoding: readFile("/proc/\(pid)/cgroup"), as: UTF8.self).split(separator: "\n")
            .first { $0.split(separator: ":").dropFirst().first?.split(separator: ",").contains("memory") == true }
        let path = cgroupLine.map { String($0.split(separator: ":", maxSplits: 2)[2]) } ?? "?"
        let limit = String(decoding: readFile("/sys/fs/cgroup/memory\(path)/memory.limit_in_bytes"), as: UTF8.self)
        #expect(limit == "\(48 << 20)\n", "pid \(pid) cgroup \(path): \(limit)")
    }

    /// -t: the process gets a terminal (husk relays it to its own, here script(1)'s pty).
    @Test(.enabled(if: canRunImages && access("/usr/bin/script", X_OK) == 0, "needs root, HUSK_BINARY, /bin/busybox and script"))
    func ttyGivesTheProcessATerminal() throws {
        let s = Scratch()
        defer { cleanupContainers(s) }
        importUsers(s)
        let husk = "\(huskBinary!) --root \(s.base)/state --storage \(s.base)/store"
        #expect(system("script -qec '\(husk) run -t test/users:1 sh -c \"tty; echo TERM=$TERM\"' /dev/null > \(s.base)/tty </dev/null") == 0)
        let out = String(decoding: readFile(s.base + "/tty"), as: UTF8.self)
        #expect(out.contains("/dev/pts/") && out.contains("TERM=xterm"), "\(out)")
        #expect(system("\(husk) run test/users:1 tty > \(s.base)/notty 2>&1 </dev/null") != 0)
        #expect(String(decoding: readFile(s.base + "/notty"), as: UTF8.self).contains("not a tty"))
        #expect(list(s.base + "/store/containers").isEmpty)
    }

    /// The image/bundle rule: only a word with ':', '/' or '@' is an image.
    @Test(.enabled(if: canRunImages, "needs root, HUSK_BINARY and /bin/busybox"))
    func bundleCallersAreNeverTakenForImages() throws {
        let s = Scratch()
        defer { cleanupContainers(s) }
        makeLayout(s.base + "/l", name: "busybox:latest")
        #expect(husk(s, "image import \(s.base)/l").0 == 0)
        let bundle = s.base + "/bundle"
        #expect(makeBundle(bundle, args: "echo from-bundle"))

        // runc's forms: -b DIR ID, and the current directory as the bundle, with an ID that names an image.
        #expect(husk(s, "run -b \(bundle) busybox").1 == "from-bundle\n")
        let (crc, cout) = husk(s, "run busybox", cwd: bundle)
        #expect(crc == 0 && cout == "from-bundle\n", "\(cout)")
        let (drc, _) = husk(s, "run -d -b \(bundle) busybox")
        #expect(drc == 0 && !list(s.base + "/store/containers").contains("busybox"))
        #expect(husk(s, "delete --force busybox").0 == 0)
        #expect(list(bundle).contains("config.json"))

        // The image form needs ':', '/' or '@'.
        #expect(husk(s, "run busybox:latest echo from-image").1 == "from-image\n")
        let digest = String(husk(s, "images").1.split(separator: "\n")[1].split(separator: " ", omittingEmptySubsequences: true)[1])
        #expect(husk(s, "run sha256:\(digest) echo by-digest").1 == "by-digest\n")
        let full = String(husk(s, "image export busybox:latest \(s.base)/x.tar").1.split(separator: " ")[2])
        #expect(husk(s, "run busybox@\(full) echo by-name-and-digest").1 == "by-name-and-digest\n")
        #expect(husk(s, "run other@\(full) true").1.contains("not found"))
        let (brc, bout) = husk(s, "run -b \(bundle) busybox:latest")
        #expect(brc != 0 && bout.contains("image reference"), "\(bout)")
        let (erc, eout) = husk(s, "run -e X=1 -b \(bundle) someid")
        #expect(erc != 0 && eout.contains("--env applies to image runs only"), "\(eout)")
        // A bundle run without config.json whose ID names an image says how to run the image.
        let (hrc, hout) = husk(s, "run busybox", cwd: s.base)
        #expect(hrc != 0 && hout.contains("husk run busybox:latest"), "\(hout)")
        let (nrc, nout) = husk(s, "run test/missing:1")
        #expect(nrc != 0 && nout.contains("not found"), "\(nout)")
        #expect(husk(s, "run --help").1.contains("A word with ':', '/' or '@' is an IMAGE reference"))
    }
}
