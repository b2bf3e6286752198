import Glibc
import HTTP

/// A blob's bytes from the registry as one stream for ContentStore.ingest: when the connection
/// drops or stalls, it asks again from where it stopped (`Range: bytes=N-`), a few times.
final class BlobReader: ByteReader {
    private let client: RegistryClient
    private let descriptor: Descriptor
    private let what: String
    private let retries: Int
    private let onBytes: (Int64) -> Void
    private var response: HTTPResponse?
    private var offset: Int64 = 0
    private var failures = 0

    init(client: RegistryClient, descriptor: Descriptor, what: String, retries: Int, onBytes: @escaping (Int64) -> Void) {
        self.client = client
        self.descriptor = descriptor
        self.what = what
        self.retries = retries
        self.onBytes = onBytes
    }

    func read(_ buf: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        while true {
            do throws(ImageError) {
                if response == nil { response = try open() }
                let n: Int
                do { n = try response!.body.read(buf) } catch { throw ImageError("\(what): \(error.message)", transient: error.transient) }
                offset += Int64(n)
                if n > 0 { onBytes(offset) }
                return n
            } catch {
                response?.close()
                response = nil
                guard error.transient else { throw error }
                failures += 1
                if failures > retries {
                    throw ImageError("\(error.message) (at byte \(offset) of \(descriptor.size); gave up after \(retries) retries)")
                }
                usleep(UInt32(250_000 << min(failures - 1, 3)))
            }
        }
    }

    /// GET the blob from `offset`: 206 with the right Content-Range continues; a 200 (the
    /// server ignores ranges) is skipped forward to `offset`.
    private func open() throws(ImageError) -> HTTPResponse {
        let headers: [(String, String)] = offset > 0 ? [("Range", "bytes=\(offset)-")] : []
        let r = try client.get("blobs/\(descriptor.digest)", headers: headers, what: what)
        if offset == 0 { return r }
        if r.status == 206 {
            guard let range = r.header("Content-Range"), range.hasPrefix("bytes \(offset)-") else {
                r.close()
                throw ImageError("\(what): resumed at byte \(offset) but the server sent Content-Range \(r.header("Content-Range") ?? "none")")
            }
            return r
        }
        var skip = offset
        while skip > 0 {
            var chunk = [UInt8](repeating: 0, count: Int(min(65536, skip)))
            let n: Int
            do { n = try r.body.read(into: &chunk) } catch { r.close(); throw ImageError("\(what): \(error.message)", transient: error.transient) }
            if n == 0 { r.close(); throw ImageError("\(what): the blob ended before byte \(offset) on a retry", transient: true) }
            skip -= Int64(n)
        }
        return r
    }

    func close() {
        response?.close()
        response = nil
    }
}
