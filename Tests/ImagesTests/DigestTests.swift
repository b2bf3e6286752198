import Images
import Testing

@Suite struct DigestTests {
    @Test func knownVectors() {
        #expect(Digest.of([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.of(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Digest.of(long).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func parsing() throws {
        let d = try Digest(parsing: "sha256:" + String(repeating: "a", count: 64))
        #expect(d.short == "aaaaaaaaaaaa")
        #expect(throws: ImageError.self) { try Digest(parsing: "sha512:abc") }
        #expect(throws: ImageError.self) { try Digest(parsing: "sha256:ABC") }
    }
}
