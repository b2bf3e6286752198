// husk pull against a real registry (Debian's docker-registry), a token server and a fake
// registry that misbehaves: images pushed by the tests, pulled, run; every failure leaves the
// store consistent (no ref, no blob under a wrong digest, nothing in ingest/) and the next
// good pull works.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: RegistryTools.available, RegistryTools.requirement))
struct PullTests {
    /// husk --storage STORE ARGS…
    static func husk(_ sb: Sandbox, store: String, _ args: [String], env: [String: String]? = nil, timeout: Double = 60) async throws -> CommandResult {
        let child = try Child([Harness.binary, "--root", sb.stateRoot, "--storage", store] + args, outputDir: sb.ioDir, environment: env)
        return await child.wait(timeout: timeout)
    }

    /// Environment without the caller's auth files (tests set what they need).
    static func cleanEnv(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for k in ["REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "SSL_CERT_FILE", "SSL_CERT_DIR"] { env[k] = nil }
        env["HOME"] = "/nonexistent-husk-test-home"
        return env.merging(extra) { $1 }
    }

    /// The store holds no half-made state: ingest/ empty, every blob's content matches its name,
    /// and `name` is not recorded.
    static func expectConsistent(_ store: String, without name: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fm = FileManager.default
        #expect(((try? fm.contentsOfDirectory(atPath: store + "/ingest")) ?? []).isEmpty, "ingest/ is empty", sourceLocation: sourceLocation)
        for hex in (try? fm.contentsOfDirectory(atPath: store + "/blobs/sha256")) ?? [] {
            let out = try captureSync(["/usr/bin/sha256sum", store + "/blobs/sha256/" + hex])
            #expect(out.hasPrefix(hex), "blob \(hex) matches its digest", sourceLocation: sourceLocation)
        }
        if let name {
            let refs = (try? String(contentsOfFile: store + "/refs.json", encoding: .utf8)) ?? ""
            #expect(!refs.contains("\"\(name)\""), "no ref \(name) after a failed pull", sourceLocation: sourceLocation)
        }
    }

    static func blobCount(_ store: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: store + "/blobs/sha256")) ?? []).count
    }

    @Test func pullRunIndexPlatformDigestAndCache() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let reg = try await TestRegistry.start(sb, name: "reg")
        let rootfs = try await RegistryTools.busyboxRootfs(sb)
        let url = "http://\(reg.host)"
        let image = try await RegistryTools.push(sb, "image", url, "test/busybox:1", rootfs: rootfs)
        let index = try await RegistryTools.push(sb, "index", url, "test/multi:1", rootfs: rootfs)
        let store = sb.dir + "/store"
        let env = Self.cleanEnv()
        let ref = "\(reg.host)/test/busybox:1"
        let manifest = image["manifest"] as! String

        let first = try await Self.husk(sb, store: store, ["pull", "--plain-http", ref], env: env)
        #expect(first.succeeded, "\(first)")
        #expect(first.stdout.contains("pulled \(ref) \(manifest)"), "\(first.stdout)")
        #expect(first.stdout.contains("3 layers, 4 blobs fetched"), "\(first.stdout)")
        #expect(first.stderr.isEmpty, "no progress when stderr is not a terminal: \(first.stderr)")
        print("pull of the 3-layer busybox image: \(String(format: "%.3f", first.elapsed)) s (\(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))")

        let run = try await Self.husk(sb, store: store, ["run", "--rm", ref], env: env)
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout == "hello from the registry\n", "\(run)")

        // Again: every blob cached, nothing fetched, nothing new in the store.
        let blobs = Self.blobCount(store)
        let second = try await Self.husk(sb, store: store, ["pull", "--plain-http", ref], env: env)
        #expect(second.succeeded, "\(second)")
        #expect(second.stdout.contains("0 blobs fetched (0 B), 4 cached"), "\(second.stdout)")
        #expect(Self.blobCount(store) == blobs)

        // By digest (recorded as name@digest), through `husk image pull`, quiet: just the digest.
        let byDigest = "\(reg.host)/test/busybox@\(manifest)"
        let quiet = try await Self.husk(sb, store: store, ["image", "pull", "--plain-http", "-q", byDigest], env: env)
        #expect(quiet.succeeded, "\(quiet)")
        #expect(quiet.stdout == manifest + "\n", "\(quiet)")
        let ls = try await Self.husk(sb, store: store, ["image", "ls"], env: env)
        #expect(ls.stdout.contains(byDigest), "\(ls.stdout)")

        // An index: linux/amd64 by default, arm64 when asked, a missing platform is an error listing what exists.
        let multi = "\(reg.host)/test/multi:1"
        let amd = try await Self.husk(sb, store: store, ["pull", "--plain-http", "-q", multi], env: env)
        #expect(amd.stdout == (index["amd64"] as! String) + "\n", "\(amd)")
        let runMulti = try await Self.husk(sb, store: store, ["run", "--rm", multi], env: env)
        #expect(runMulti.stdout == "hello from the registry\n", "\(runMulti)")
        let arm = try await Self.husk(sb, store: store, ["pull", "--plain-http", "--platform", "linux/arm64", "-q", multi], env: env)
        #expect(arm.stdout == (index["arm64"] as! String) + "\n", "\(arm)")
        let none = try await Self.husk(sb, store: store, ["pull", "--plain-http", "--platform", "linux/s390x", multi], env: env)
        #expect(none.status != 0)
        #expect(none.stderr.contains("no image for linux/s390x") && none.stderr.contains("linux/amd64, linux/arm64/v8"), "\(none.stderr)")

        // Docker schema 2: a manifest list of v2 manifests, run like the OCI ones.
        let dockerIndex = try await RegistryTools.push(sb, "index", url, "test/docker:1", rootfs: rootfs, ["--docker"])
        let docker = "\(reg.host)/test/docker:1"
        let dockerPull = try await Self.husk(sb, store: store, ["pull", "--plain-http", "-q", docker], env: env)
        #expect(dockerPull.stdout == (dockerIndex["amd64"] as! String) + "\n", "\(dockerPull)")
        let runDocker = try await Self.husk(sb, store: store, ["run", "--rm", docker], env: env)
        #expect(runDocker.stdout == "hello from the registry\n", "\(runDocker)")

        // Unknown tag, https against a plain-HTTP registry, a malformed reference.
        let missing = try await Self.husk(sb, store: store, ["pull", "--plain-http", "\(reg.host)/test/busybox:nope"], env: env)
        #expect(missing.status != 0 && missing.stderr.contains("404") && missing.stderr.contains("MANIFEST_UNKNOWN"), "\(missing.stderr)")
        let tls = try await Self.husk(sb, store: store, ["pull", ref], env: env)
        #expect(tls.status != 0 && tls.stderr.contains("TLS handshake with \(reg.host)") && tls.stderr.contains("--plain-http"), "\(tls.stderr)")
        // --insecure falls back to plain HTTP for a registry without TLS.
        let insecure = try await Self.husk(sb, store: store, ["pull", "--insecure", "-q", ref], env: env)
        #expect(insecure.stdout == manifest + "\n", "\(insecure)")
        let bad = try await Self.husk(sb, store: store, ["pull", "\(reg.host)/Test/BusyBox"], env: env)
        #expect(bad.status != 0 && bad.stderr.contains("invalid image reference") && bad.stderr.contains("lowercase"), "\(bad.stderr)")
        try Self.expectConsistent(store)
    }

    /// A store on a full disk: a clear error naming the cause, nothing half-made in the store,
    /// and once there is room the same pull works.
    @Test func fullDiskIsAClearErrorAndTheNextPullWorks() async throws {
        let sb = try Sandbox()
        let store = sb.dir + "/store"
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        #expect(mount("tmpfs", store, "tmpfs", 0, "size=384k") == 0, "mount tmpfs: \(errno)")
        defer {
            umount2(store, Int32(MNT_DETACH))
            sb.cleanup()
        }
        let reg = try await TestRegistry.start(sb, name: "regfull")
        let rootfs = try await RegistryTools.busyboxRootfs(sb)
        _ = try await RegistryTools.push(sb, "image", "http://\(reg.host)", "test/busybox:1", rootfs: rootfs)
        let env = Self.cleanEnv()
        let ref = "\(reg.host)/test/busybox:1"

        let full = try await Self.husk(sb, store: store, ["pull", "--plain-http", ref], env: env)
        #expect(full.status != 0, "\(full)")
        #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
        try Self.expectConsistent(store, without: ref)

        #expect(mount("tmpfs", store, "tmpfs", UInt(MS_REMOUNT), "size=16m") == 0, "remount: \(errno)")
        let again = try await Self.husk(sb, store: store, ["pull", "--plain-http", ref], env: env)
        #expect(again.succeeded, "\(again)")
        let run = try await Self.husk(sb, store: store, ["run", "--rm", ref], env: env)
        #expect(run.stdout == "hello from the registry\n", "\(run)")
        try Self.expectConsistent(store)
    }

    @Test func bearerTokenAuth() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let dir = sb.dir
        try await RegistryTools.openssl(sb, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/token.key",
                                            "-out", dir + "/token.crt", "-days", "2", "-subj", "/CN=husk-test-token"])
        let tokenPort = try await RegistryTools.startPythonServer(sb, "tokenserver.py",
            [dir + "/token.key", dir + "/token.crt", "--service", "husk-test", "--issuer", "husk-test-issuer", "--user", "tester:s3cret"],
            portFile: dir + "/token.port")
        let auth = """
        auth:
          token:
            realm: http://127.0.0.1:\(tokenPort)/token
            service: husk-test
            issuer: husk-test-issuer
            rootcertbundle: \(dir)/token.crt

        """
        let reg = try await TestRegistry.start(sb, name: "reg", auth: auth)
        let rootfs = try await RegistryTools.busyboxRootfs(sb)
        _ = try await RegistryTools.push(sb, "image", "http://\(reg.host)", "private/busybox:1", rootfs: rootfs, ["--user", "tester:s3cret"])
        _ = try await RegistryTools.push(sb, "image", "http://\(reg.host)", "public/busybox:1", rootfs: rootfs,
                                         ["--user", "tester:s3cret", "--message", "public\n"])
        let store = sb.dir + "/store"
        let env = Self.cleanEnv()
        let priv = "\(reg.host)/private/busybox:1"

        // Anonymous token: enough for public/, denied for private/.
        let pub = try await Self.husk(sb, store: store, ["pull", "--plain-http", "\(reg.host)/public/busybox:1"], env: env)
        #expect(pub.succeeded, "\(pub)")
        let denied = try await Self.husk(sb, store: store, ["pull", "--plain-http", priv], env: env)
        #expect(denied.status != 0)
        #expect(denied.stderr.contains("401") && denied.stderr.contains("UNAUTHORIZED") && denied.stderr.contains("no credentials for \(reg.host)"), "\(denied.stderr)")
        try Self.expectConsistent(store, without: priv)

        // Wrong password: the token server's refusal, naming the file.
        let badFile = dir + "/bad.json"
        try #"{"auths":{"\#(reg.host)":{"auth":"\#(Data("tester:wrong".utf8).base64EncodedString())"}}}"#.write(toFile: badFile, atomically: true, encoding: .utf8)
        let wrong = try await Self.husk(sb, store: store, ["pull", "--plain-http", "--authfile", badFile, priv], env: env)
        #expect(wrong.status != 0 && wrong.stderr.contains("401") && wrong.stderr.contains(badFile), "\(wrong.stderr)")

        // Right password: from --authfile, and from $REGISTRY_AUTH_FILE.
        let goodFile = dir + "/auth.json"
        try #"{"auths":{"http://\#(reg.host)":{"auth":"\#(Data("tester:s3cret".utf8).base64EncodedString())"}}}"#.write(toFile: goodFile, atomically: true, encoding: .utf8)
        let ok = try await Self.husk(sb, store: store, ["pull", "--plain-http", "--authfile", goodFile, priv], env: env)
        #expect(ok.succeeded, "\(ok)")
        let run = try await Self.husk(sb, store: store, ["run", "--rm", priv], env: env)
        #expect(run.stdout == "hello from the registry\n", "\(run)")
        let store2 = sb.dir + "/store2"
        let viaEnv = try await Self.husk(sb, store: store2, ["pull", "--plain-http", priv], env: Self.cleanEnv(["REGISTRY_AUTH_FILE": goodFile]))
        #expect(viaEnv.succeeded, "\(viaEnv)")
        try Self.expectConsistent(store)
    }

    @Test(.enabled(if: access("/usr/bin/htpasswd", X_OK) == 0, "needs htpasswd (apt-get install apache2-utils)"))
    func basicAuthHtpasswd() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let hashed = try captureSync(["/usr/bin/htpasswd", "-Bbn", "tester", "s3cret"])
        try hashed.write(toFile: sb.dir + "/htpasswd", atomically: true, encoding: .utf8)
        let reg = try await TestRegistry.start(sb, name: "reg", auth: "auth:\n  htpasswd:\n    realm: husk-test\n    path: \(sb.dir)/htpasswd\n")
        let rootfs = try await RegistryTools.busyboxRootfs(sb)
        _ = try await RegistryTools.push(sb, "image", "http://\(reg.host)", "team/busybox:1", rootfs: rootfs, ["--user", "tester:s3cret"])
        let store = sb.dir + "/store"
        let ref = "\(reg.host)/team/busybox:1"
        let anonymous = try await Self.husk(sb, store: store, ["pull", "--plain-http", ref], env: Self.cleanEnv())
        #expect(anonymous.status != 0 && anonymous.stderr.contains("401") && anonymous.stderr.contains("user name and password"), "\(anonymous.stderr)")
        try Self.expectConsistent(store, without: ref)
        // Credentials from $XDG_RUNTIME_DIR/containers/auth.json (podman's place).
        let runtimeDir = sb.dir + "/xdg"
        try FileManager.default.createDirectory(atPath: runtimeDir + "/containers", withIntermediateDirectories: true)
        try #"{"auths":{"\#(reg.host)":{"auth":"\#(Data("tester:s3cret".utf8).base64EncodedString())"}}}"#
            .write(toFile: runtimeDir + "/containers/auth.json", atomically: true, encoding: .utf8)
        let ok = try await Self.husk(sb, store: store, ["pull", "--plain-http", ref], env: Self.cleanEnv(["XDG_RUNTIME_DIR": runtimeDir]))
        #expect(ok.succeeded, "\(ok)")
        try Self.expectConsistent(store)
    }

    /// On a terminal (script(1) gives husk one): a line per blob redrawn in place, ending in done.
    @Test(.enabled(if: access("/usr/bin/script", X_OK) == 0, "needs script (util-linux)"))
    func progressOnATerminal() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let port = try await RegistryTools.startPythonServer(sb, "fakeregistry.py", [], portFile: sb.dir + "/fake.port")
        let command = "\(Harness.binary) --storage \(sb.dir)/store pull --plain-http 127.0.0.1:\(port)/good:1"
        let r = try await sb.host(["/usr/bin/script", "-qec", command, sb.dir + "/typescript"], timeout: 60)
        #expect(r.succeeded, "\(r)")
        let screen = (try? String(contentsOfFile: sb.dir + "/typescript", encoding: .utf8)) ?? ""
        #expect(screen.contains("\u{1b}[K"), "lines are cleared and redrawn: \(screen.debugDescription)")
        let lines = screen.split(whereSeparator: \.isNewline).map(String.init)  // "\r\n" is one Character
        #expect(lines.filter { $0.hasSuffix("  done") }.count >= 2, "config and layer end as done: \(screen.debugDescription)")
        #expect(screen.contains("pulled 127.0.0.1:\(port)/good:1"))
        // Quiet on a terminal: the digest only, no progress.
        let quiet = try await sb.host(["/usr/bin/script", "-qec", command + " -q", sb.dir + "/typescript2"], timeout: 60)
        let q = (try? String(contentsOfFile: sb.dir + "/typescript2", encoding: .utf8)) ?? ""
        #expect(quiet.succeeded && !q.contains("\u{1b}[") && q.contains("sha256:"), "\(q.debugDescription)")
    }

    @Test func faultsLeaveTheStoreConsistent() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let port = try await RegistryTools.startPythonServer(sb, "fakeregistry.py", [], portFile: sb.dir + "/fake.port")
        let host = "127.0.0.1:\(port)"
        let env = Self.cleanEnv()
        // (repository, what stderr must say)
        let cases: [(String, [String])] = [
            ("missing", ["404", "MANIFEST_UNKNOWN", "/v2/missing/manifests/1"]),
            ("error", ["500", "internal trouble"]),
            ("hang", ["timed out", "manifest \(host)/hang:1"]),
            ("truncated", ["connection closed", "gave up after", "layer 1/1"]),
            ("baddigest", ["does not match the declared"]),
            ("weirdtype", ["unsupported media type", "application/vnd.example.unknown+json"]),
            ("redirect", ["401", "user name and password"]),
        ]
        for (repo, mentions) in cases {
            let store = sb.dir + "/store-" + repo
            let ref = "\(host)/\(repo):1"
            let r = try await Self.husk(sb, store: store, ["pull", "--plain-http", "--timeout", "0.5", ref], env: env)
            #expect(r.status != 0, "\(repo): \(r)")
            #expect(!r.timedOut, "\(repo)")
            for m in mentions { #expect(r.stderr.contains(m), "\(repo): stderr names \(m): \(r.stderr)") }
            #expect(!r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).contains("\n"), "one line: \(r.stderr)")
            try Self.expectConsistent(store, without: ref)
            // The next good pull into the same store works.
            let good = try await Self.husk(sb, store: store, ["pull", "--plain-http", "-q", "\(host)/good:1"], env: env)
            #expect(good.succeeded, "after \(repo): \(good)")
            try Self.expectConsistent(store)
        }
        // A dropped download resumes with a Range request; chunked bodies; a redirect to another
        // host with Basic credentials that must not follow it (the target refuses Authorization).
        let authFile = sb.dir + "/auth.json"
        try #"{"auths":{"\#(host)":{"auth":"\#(Data("user:secret".utf8).base64EncodedString())"}}}"#.write(toFile: authFile, atomically: true, encoding: .utf8)
        for (repo, extra) in [("flaky", [String]()), ("chunked", []), ("redirect", ["--authfile", authFile])] {
            let store = sb.dir + "/store2-" + repo
            let r = try await Self.husk(sb, store: store, ["pull", "--plain-http"] + extra + ["\(host)/\(repo):1"], env: env)
            #expect(r.succeeded && r.stdout.contains("2 blobs fetched"), "\(repo): \(r)")
            try Self.expectConsistent(store)
        }
    }
}

@Suite(.enabled(if: RegistryTools.available, RegistryTools.requirement))
struct PullTLSTests {
    /// A CA and a server certificate it signs for `names` (subjectAltName entries).
    static func certificate(_ sb: Sandbox, _ name: String, ca: String, sans: String) async throws -> (cert: String, key: String) {
        let d = sb.dir
        try await RegistryTools.openssl(sb, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr", "-subj", "/CN=\(name)"])
        try "subjectAltName=\(sans)\n".write(toFile: "\(d)/\(name).ext", atomically: true, encoding: .utf8)
        try await RegistryTools.openssl(sb, ["x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(ca).crt", "-CAkey", "\(ca).key", "-CAcreateserial",
                                            "-out", "\(d)/\(name).crt", "-days", "2", "-extfile", "\(d)/\(name).ext"])
        return ("\(d)/\(name).crt", "\(d)/\(name).key")
    }

    @Test func verificationCAsAndSchemes() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let ca = sb.dir + "/ca"
        try await RegistryTools.openssl(sb, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt",
                                            "-days", "2", "-subj", "/CN=husk-test-ca"])
        let good = try await Self.certificate(sb, "server", ca: ca, sans: "IP:127.0.0.1,DNS:localhost")
        let wrong = try await Self.certificate(sb, "other", ca: ca, sans: "DNS:other.example")
        let reg = try await TestRegistry.start(sb, name: "reg", tls: good)
        let misnamed = try await TestRegistry.start(sb, name: "reg2", tls: wrong)
        let rootfs = try await RegistryTools.busyboxRootfs(sb)
        _ = try await RegistryTools.push(sb, "image", "https://\(reg.host)", "test/busybox:1", rootfs: rootfs, ["--cafile", ca + ".crt"])
        let ref = "\(reg.host)/test/busybox:1"
        let store = sb.dir + "/store"
        let env = PullTests.cleanEnv()

        // Not trusted: a verification error naming the host, and the ways out.
        let untrusted = try await PullTests.husk(sb, store: store, ["pull", ref], env: env)
        #expect(untrusted.status != 0)
        #expect(untrusted.stderr.contains("TLS handshake with \(reg.host): certificate verify failed"), "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("--ca-file"), "\(untrusted.stderr)")
        try PullTests.expectConsistent(store, without: ref)

        // Trusted through SSL_CERT_FILE, through --ca-file (by name: localhost), or skipped with --insecure.
        let viaEnv = try await PullTests.husk(sb, store: store, ["pull", ref], env: PullTests.cleanEnv(["SSL_CERT_FILE": ca + ".crt"]))
        #expect(viaEnv.succeeded, "\(viaEnv)")
        let run = try await PullTests.husk(sb, store: store, ["run", "--rm", ref], env: env)
        #expect(run.stdout == "hello from the registry\n", "\(run)")
        let viaFlag = try await PullTests.husk(sb, store: sb.dir + "/store2", ["pull", "--ca-file", ca + ".crt", "localhost:\(reg.port)/test/busybox:1"], env: env)
        #expect(viaFlag.succeeded, "\(viaFlag)")
        let insecure = try await PullTests.husk(sb, store: sb.dir + "/store3", ["pull", "--insecure", ref], env: env)
        #expect(insecure.succeeded, "\(insecure)")

        // A certificate for another name fails even from a trusted CA.
        let mismatch = try await PullTests.husk(sb, store: store, ["pull", "--ca-file", ca + ".crt", "\(misnamed.host)/test/busybox:1"], env: env)
        #expect(mismatch.status != 0 && mismatch.stderr.contains("certificate verify failed") && mismatch.stderr.contains("mismatch"), "\(mismatch.stderr)")

        // Plain HTTP against TLS; a missing CA file.
        let plain = try await PullTests.husk(sb, store: store, ["pull", "--plain-http", ref], env: env)
        #expect(plain.status != 0 && plain.stderr.contains("the registry speaks TLS: drop --plain-http"), "\(plain.stderr)")
        let noCA = try await PullTests.husk(sb, store: store, ["pull", "--ca-file", sb.dir + "/nope.crt", ref], env: env)
        #expect(noCA.status != 0 && noCA.stderr.contains("CA file \(sb.dir)/nope.crt: No such file or directory"), "\(noCA.stderr)")
        try PullTests.expectConsistent(store)
    }
}
