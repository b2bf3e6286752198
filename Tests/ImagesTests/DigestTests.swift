import CImages
import Images
import Testing

@Suite struct DigestTests {
    @Test func knownVectors() {
        #expect(Digest.of([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.of(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Digest.of(long).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The SHA-extension path (where the CPU has it) and the portable code agree on every
    /// length around the block and padding edges, fed whole or in odd pieces.
    @Test func acceleratedAndPortableAgree() {
        var bytes = [UInt8](repeating: 0, count: 70_000)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        func digest(_ n: Int, pieces: Int) -> Digest {
            var h = SHA256()
            var at = 0
            while at < n { let take = min(n - at, pieces); h.update(Array(bytes[at..<(at + take)])); at += take }
            return h.finalize()
        }
        let accelerated = cimg_sha256_accelerate(1) != 0
        defer { _ = cimg_sha256_accelerate(1) }
        for n in [0, 1, 55, 56, 63, 64, 65, 119, 128, 1000, 4096, 70_000] {
            _ = cimg_sha256_accelerate(1)
            let fast = digest(n, pieces: n + 1), split = digest(n, pieces: 37)
            _ = cimg_sha256_accelerate(0)
            let portable = digest(n, pieces: n + 1)
            #expect(fast == portable && split == portable, "length \(n) (SHA extensions: \(accelerated))")
        }
        #expect(Digest.of(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hex
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func parsing() throws {
        let d = try Digest(parsing: "sha256:" + String(repeating: "a", count: 64))
        #expect(d.short == "aaaaaaaaaaaa")
        #expect(throws: ImageError.self) { try Digest(parsing: "sha512:abc") }
        #expect(throws: ImageError.self) { try Digest(parsing: "sha256:ABC") }
    }
}
