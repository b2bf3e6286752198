import Glibc
import JSON
import Sys
import Tar

/// Writes a stored image as an OCI image layout: a directory (`oci-dir`) or a tar of one
/// (`oci-archive`). Blobs are re-verified on the way out, so a corrupt store is never exported;
/// the destination appears only when complete (written beside it, then renamed).
public struct Exporter {
    public enum Format: String, Sendable, CaseIterable {
        case ociDir = "oci-dir", ociArchive = "oci-archive"

        /// An explicit --format wins; else DEST ending in .tar is an archive, anything else a directory.
        public static func choose(_ explicit: String?, dest: String) throws(ImageError) -> Format {
            if let explicit {
                guard let f = Format(rawValue: explicit) else {
                    throw ImageError("--format \"\(explicit)\": must be oci-dir or oci-archive")
                }
                return f
            }
            return dest.hasSuffix(".tar") ? .ociArchive : .ociDir
        }
    }

    public let store: ContentStore
    public init(store: ContentStore) { self.store = store }

    public func export(_ ref: ImageRef, to dest: String, format: Format) throws(ImageError) {
        let lease = try store.lease()
        defer { withExtendedLifetime(lease) {} }
        let image = try StoredImage.load(store, ref)
        if Files.exists(dest) && !(format == .ociDir && Files.isDirectory(dest) && Files.listDirectory(dest).isEmpty) {
            throw ImageError("export \(dest): already exists (give a new path\(format == .ociDir ? " or an empty directory" : ""))")
        }
        let blobs = [(ref.digest, ref.size)] + [(image.manifest.config.digest, image.manifest.config.size)]
            + image.manifest.layers.map { ($0.digest, $0.size) }
        var top = Descriptor(mediaType: ref.mediaType, digest: ref.digest, size: ref.size)
        top.annotations = Self.nameAnnotations(ref.name)
        let index = JSON.serializeBytes(["schemaVersion": 2, "mediaType": .string(MediaType.index), "manifests": [top.json]])
        let layout = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)
        let tmp = dest + ".husk-tmp-\(getpid())"
        defer { try? Files.removeTree(tmp) }
        do {
            switch format {
            case .ociDir:
                try Files.makeDirectories(tmp + "/blobs/sha256")
                for (d, size) in unique(blobs) {
                    let out = tmp + "/blobs/sha256/" + d.hex
                    let fd = try retrying("create", path: out) { open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
                    defer { close(fd) }
                    try copyVerified(d, size: size) { (b: ArraySlice<UInt8>) throws(SysError) in try Files.writeAll(fd, Array(b), path: out) }
                }
                try Files.writeAtomically(tmp + "/oci-layout", layout)
                try Files.writeAtomically(tmp + "/index.json", index)
                if Files.isDirectory(dest) { try retrying("rmdir", path: dest) { rmdir(dest) } }
            case .ociArchive:
                let fd = try retrying("create", path: tmp) { open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
                defer { close(fd) }
                let tar = TarWriter(fd: fd, path: tmp)
                try tar.addFile(.init(path: "oci-layout", kind: .file), contents: layout)
                try tar.add(.init(path: "blobs", kind: .directory, mode: 0o755))
                try tar.add(.init(path: "blobs/sha256", kind: .directory, mode: 0o755))
                for (d, size) in unique(blobs) {
                    try tar.add(.init(path: "blobs/sha256/" + d.hex, kind: .file, size: UInt64(size)))
                    try copyVerified(d, size: size) { (b: ArraySlice<UInt8>) throws(SysError) in try tar.writeContent(b) }
                }
                try tar.addFile(.init(path: "index.json", kind: .file), contents: index)
                try tar.finish()
                try retrying("fsync", path: tmp) { fsync(fd) }
            }
            try retrying("rename", path: tmp) { rename(tmp, dest) }
        } catch let e as ImageError {
            throw e
        } catch {
            throw ImageError("export \(ref.name) to \(dest): \(error)")
        }
    }

    /// The full name for containerd and husk, the tag alone as the OCI ref name (skopeo's oci:DIR:TAG).
    static func nameAnnotations(_ name: String) -> [String: String] {
        let lastSlash = name.lastIndex(of: "/") ?? name.startIndex
        let tag = name[lastSlash...].lastIndex(of: ":").map { String(name[name.index(after: $0)...]) } ?? name
        return ["io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag]
    }

    private func unique(_ blobs: [(Digest, Int64)]) -> [(Digest, Int64)] {
        var seen = Set<Digest>()
        return blobs.filter { seen.insert($0.0).inserted }
    }

    /// Streams a stored blob to `write`, checking its size and digest (a corrupt store fails here).
    private func copyVerified(_ d: Digest, size: Int64, _ write: (ArraySlice<UInt8>) throws(SysError) -> Void) throws {
        let path = store.blobPath(d)
        let fd = try retrying("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var hasher = SHA256()
        var total: Int64 = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try retrying("read", path: path) { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if n == 0 { break }
            total += Int64(n)
            if total > size { break }
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            try write(chunk[0..<n])
        }
        if total != size || hasher.finalize() != d {
            throw ImageError("export: blob \(d) in \(store.root) does not match its digest or its size \(size) (store corrupt; remove the image and import it again)")
        }
    }
}
