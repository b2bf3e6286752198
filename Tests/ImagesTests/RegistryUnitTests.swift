@testable import Images
import JSON
import Testing

@Suite struct RegistryUnitTests {
    @Test func referenceDefaults() throws {
        let r = try Reference.parse("busybox")
        #expect(r.registry == "docker.io" && r.repository == "library/busybox" && r.tag == nil && r.digest == nil)
        #expect(r.apiHost == "registry-1.docker.io" && r.manifestReference == "latest" && r.storeName == "docker.io/library/busybox:latest")
        #expect(try Reference.parse("user/app:1.2").repository == "user/app")
        #expect(try Reference.parse("index.docker.io/library/alpine:3").storeName == "docker.io/library/alpine:3")
        let local = try Reference.parse("localhost/app")
        #expect(local.registry == "localhost" && local.repository == "app" && local.apiHost == "localhost")
        let port = try Reference.parse("127.0.0.1:5000/ns/app:v1")
        #expect(port.registry == "127.0.0.1:5000" && port.repository == "ns/app" && port.tag == "v1")
        #expect(try Reference.parse("quay.io/a/b/c").repository == "a/b/c")
        #expect(try Reference.parse("localhost:5000/a_b__c-d.e/f--g").repository == "a_b__c-d.e/f--g")
    }

    @Test func referenceDigests() throws {
        let hex = String(repeating: "ab", count: 32)
        let d = try Reference.parse("reg.example/app@sha256:\(hex)")
        #expect(d.digest?.hex == hex && d.tag == nil && d.manifestReference == "sha256:\(hex)")
        #expect(d.storeName == "reg.example/app@sha256:\(hex)")
        let both = try Reference.parse("app:1@sha256:\(hex)")
        #expect(both.tag == "1" && both.manifestReference == "sha256:\(hex)" && both.storeName == "docker.io/library/app:1")
    }

    @Test func malformedReferences() {
        for (text, why) in [("", "empty"), ("Busybox", "lowercase"), ("app:", "tag"), ("app:-x", "tag"), ("a//b", "component"),
                            ("app@sha256:12", "sha256"), ("app@md5:1234", "not supported"), ("-app", "component"),
                            ("host:99999/app", "port"), ("app with space", "whitespace"), ("reg.example/", "no repository"),
                            ("a..b", "component")] {
            do {
                _ = try Reference.parse(text)
                Issue.record("\"\(text)\" must be refused")
            } catch {
                #expect(error.message.contains("invalid image reference"), "\(text): \(error)")
                #expect(error.message.contains(why), "\(text): \(error)")
            }
        }
    }

    @Test func wwwAuthenticate() {
        let c = Challenge.parse(#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push""#)
        #expect(c.count == 1)
        #expect(c[0].scheme == "bearer")
        #expect(c[0].parameters == ["realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull,push"])
        let two = Challenge.parse(#"Basic realm="a \"quoted\" realm", Bearer realm=https://t.example/token,Service=s"#)
        #expect(two.map(\.scheme) == ["basic", "bearer"])
        #expect(two[0].parameters["realm"] == #"a "quoted" realm"#)
        #expect(two[1].parameters == ["realm": "https://t.example/token", "service": "s"])
        #expect(Challenge.parse("Basic").first?.scheme == "basic")
        #expect(Challenge.parse("").isEmpty)
    }

    @Test func platformSelection() throws {
        func desc(_ p: String?) throws -> Descriptor {
            var d = Descriptor(mediaType: MediaType.manifest, digest: Digest.of(Array((p ?? "none").utf8)), size: 1)
            d.platform = try p.map { (s: String) throws(ImageError) in try Platform.parse(s) }
            return d
        }
        let index = [try desc("unknown/unknown"), try desc("linux/arm/v7"), try desc("linux/arm64"), try desc("linux/amd64"), try desc(nil)]
        #expect(Platform(os: "linux", architecture: "amd64").select(index)?.digest == index[3].digest)
        #expect(try Platform.parse("linux/arm64").select(index)?.digest == index[2].digest)
        #expect(try Platform.parse("linux/arm64/v8").select(index)?.digest == index[2].digest)
        #expect(try Platform.parse("linux/arm/v7").select(index)?.digest == index[1].digest)
        #expect(try Platform.parse("linux/arm/v6").select(index) == nil)
        #expect(try Platform.parse("linux/s390x").select(index) == nil)
        #expect(Platform(os: "linux", architecture: "x86_64").architecture == "amd64")
        #expect(platformList(index) == "linux/arm/v7, linux/arm64, linux/amd64")
        #expect(throws: ImageError.self) { try Platform.parse("linux") }
        #expect(throws: ImageError.self) { try Platform.parse("linux//v7") }
    }

    @Test func authFiles() throws {
        let json = #"""
        {"auths": {
          "https://index.docker.io/v1/": {"auth": "aHViOnB3"},
          "reg.example": {"auth": "dXNlcjpwYTpzcw=="},
          "reg.example/team": {"username": "team", "password": "t"},
          "http://127.0.0.1:5000": {"auth": "bG9jYWw6MQ"}
        }, "credsStore": "desktop"}
        """#
        let e = try AuthFiles.parse(Array(json.utf8), path: "/x/auth.json")
        #expect(e.credentials(registry: "docker.io", repository: "library/busybox")?.username == "hub")
        let plain = e.credentials(registry: "reg.example", repository: "other/app")
        #expect(plain?.username == "user" && plain?.password == "pa:ss" && plain?.source == "/x/auth.json")
        #expect(e.credentials(registry: "reg.example", repository: "team/app")?.username == "team")
        #expect(e.credentials(registry: "127.0.0.1:5000", repository: "a")?.password == "1")
        #expect(e.credentials(registry: "other.example", repository: "a") == nil)
        #expect(throws: ImageError.self) { try AuthFiles.parse(Array(#"{"auths":{"r":{"auth":"!!"}}}"#.utf8), path: "p") }
        #expect(throws: ImageError.self) { try AuthFiles.parse(Array(#"{"auths":{"r":{"auth":"bm9jb2xvbg=="}}}"#.utf8), path: "p") }
        #expect(throws: ImageError.self) { try AuthFiles.parse(Array("not json".utf8), path: "p") }
        let env = ["REGISTRY_AUTH_FILE": "/a.json", "XDG_RUNTIME_DIR": "/run/user/0", "HOME": "/root"]
        #expect(AuthFiles.candidates(authfile: nil, environment: { env[$0] }) == ["/a.json", "/run/user/0/containers/auth.json", "/root/.docker/config.json"])
        #expect(AuthFiles.candidates(authfile: "/f", environment: { env[$0] }) == ["/f"])
    }

    @Test func base64() {
        #expect(Base64.encode(Array("user:pass".utf8)) == "dXNlcjpwYXNz")
        #expect(Base64.encode(Array("a".utf8)) == "YQ==")
        #expect(Base64.decode("YQ==") == Array("a".utf8))
        #expect(Base64.decode("YWI") == Array("ab".utf8))
        #expect(Base64.decode("a$b") == nil)
    }

    @Test func manifestMediaTypes() throws {
        let m = Array(#"{"schemaVersion":2,"config":{},"layers":[]}"#.utf8)
        #expect(try Puller.mediaType(contentType: "application/vnd.oci.image.index.v1+json; charset=utf-8", [], what: "m") == MediaType.index)
        #expect(try Puller.mediaType(contentType: "application/json", m, what: "m") == MediaType.manifest)
        #expect(try Puller.mediaType(contentType: nil, Array(#"{"schemaVersion":2,"manifests":[]}"#.utf8), what: "m") == MediaType.index)
        #expect(try Puller.mediaType(contentType: "application/json", Array(#"{"mediaType":"\#(MediaType.dockerList)"}"#.utf8), what: "m") == MediaType.dockerList)
        do { _ = try Puller.mediaType(contentType: "application/vnd.docker.distribution.manifest.v1+prettyjws", m, what: "m"); Issue.record("schema 1") }
        catch { #expect(error.message.contains("schema 1")) }
        do { _ = try Puller.mediaType(contentType: "application/x-odd", m, what: "m"); Issue.record("odd type") }
        catch { #expect(error.message.contains("unsupported media type \"application/x-odd\"")) }
    }
}
