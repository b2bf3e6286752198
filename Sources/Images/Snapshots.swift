import Glibc
import JSON
import OCI
import Sys

/// Layer snapshots (`snapshots/<chainID hex>`, each layer unpacked once, whiteouts in overlay
/// form). Container bundles over them: Bundle.swift.
public struct Snapshots {
    public let store: ContentStore
    public init(store: ContentStore) { self.store = store }

    /// Snapshot dirs, bottom layer first; each unpacked once, its diff ID verified.
    public func prepare(_ image: StoredImage) throws(ImageError) -> [String] {
        var dirs: [String] = []
        for (i, chain) in chainIDs(image.config.diffIDs).enumerated() {
            let dir = store.root + "/snapshots/" + chain.hex
            if !Files.isDirectory(dir) {
                let tmp = store.root + "/snapshots/tmp-\(chain.hex)-\(getpid())"
                try? Files.removeTree(tmp)
                do { try Files.makeDirectories(tmp) } catch { throw ImageError("\(error)") }
                do throws(ImageError) {
                    try unpackLayer(image, i, into: tmp, whiteouts: .overlay)
                    if rename(tmp, dir) != 0 && !Files.isDirectory(dir) { throw ImageError("rename \(tmp): \(String(cString: strerror(errno)))") }
                } catch {
                    try? Files.removeTree(tmp)
                    throw error
                }
                try? Files.removeTree(tmp)  // lost a race: another husk made it
            }
            dirs.append(dir)
        }
        return dirs
    }

    func unpackLayer(_ image: StoredImage, _ i: Int, into dir: String, whiteouts: Unpacker.Whiteouts) throws(ImageError) {
        let layer = image.manifest.layers[i]
        let hashing = HashingReader(try FileReader(path: store.blobPath(layer.digest), decompress: true))
        try Unpacker(root: dir, whiteouts: whiteouts).unpack(hashing)
        let diff = try hashing.drainAndFinalize()
        if diff != image.config.diffIDs[i] {
            throw ImageError("layer \(layer.digest): uncompressed digest \(diff) does not match rootfs.diff_ids[\(i)] \(image.config.diffIDs[i])")
        }
    }
}
