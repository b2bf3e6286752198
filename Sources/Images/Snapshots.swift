import Glibc
import JSON
import OCI
import Sys

/// Layer snapshots (`snapshots/<chainID hex>`, each layer unpacked once, whiteouts in overlay
/// form) and container bundles (`containers/<id>`: config.json from the image config, rootfs as an
/// overlay of the snapshots plus an upper dir; a plain copy when overlayfs is not available).
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

    public func containerDir(_ id: String) -> String { store.root + "/containers/" + id }

    /// Builds containers/<id>: rootfs mounted (overlay, or a copy), config.json from the image.
    public func makeBundle(id: String, image: StoredImage, args: [String], env: [String], cwd: String?) throws(ImageError) -> String {
        let dir = containerDir(id)
        if Files.exists(dir) { throw ImageError("container \(id): \(dir) already exists") }
        let rootfs = dir + "/rootfs"
        do {
            for d in [rootfs, dir + "/upper", dir + "/work"] { try Files.makeDirectories(d) }
        } catch { throw ImageError("\(error)") }
        do throws(ImageError) {
            let lowers = try prepare(image)
            let options = "lowerdir=" + lowers.reversed().joined(separator: ":") + ",upperdir=\(dir)/upper,workdir=\(dir)/work"
            if lowers.isEmpty || mount("overlay", rootfs, "overlay", 0, options) != 0 {
                for i in image.manifest.layers.indices { try unpackLayer(image, i, into: rootfs, whiteouts: .apply) }
            }
            try writeConfig(dir, id: id, image: image, args: args, env: env, cwd: cwd)
        } catch {
            removeBundle(id: id)
            throw error
        }
        return dir
    }

    /// Unmounts and removes containers/<id>.
    public func removeBundle(id: String) {
        let dir = containerDir(id)
        while umount2(dir + "/rootfs", Int32(MNT_DETACH)) == 0 {}
        try? Files.removeTree(dir)
    }

    private func writeConfig(_ dir: String, id: String, image: StoredImage, args: [String], env: [String], cwd: String?) throws(ImageError) {
        let c = image.config
        let argv = args.isEmpty ? c.entrypoint + c.cmd : (c.entrypoint + args)
        if argv.isEmpty { throw ImageError("image \(image.ref.name): no command (the config has neither Entrypoint nor Cmd); give one after the image name") }
        var environment = c.env.isEmpty ? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] : c.env
        for e in env {
            let key = e.split(separator: "=", maxSplits: 1).first.map(String.init) ?? e
            environment.removeAll { $0.split(separator: "=", maxSplits: 1).first.map(String.init) == key }
            environment.append(e)
        }
        var uid: UInt32 = 0, gid: UInt32 = 0
        if !c.user.isEmpty {
            let parts = c.user.split(separator: ":", maxSplits: 1).map(String.init)
            guard let u = UInt32(parts[0]), parts.count == 1 || UInt32(parts[1]) != nil else {
                throw ImageError("config \(image.manifest.config.digest): config.User \"\(c.user)\": only numeric uid[:gid] is supported for now")
            }
            uid = u
            gid = parts.count == 2 ? UInt32(parts[1])! : u
        }
        guard case .object(var spec) = DefaultSpec.make(rootless: false, args: argv, terminal: false) else { return }
        if case .object(var process)? = spec["process"] {
            process["env"] = .array(environment.map { .string($0) })
            process["cwd"] = .string(cwd ?? (c.workingDir.isEmpty ? "/" : c.workingDir))
            process["user"] = ["uid": .int(uid), "gid": .int(gid)]
            spec["process"] = .object(process)
        }
        spec["root"] = ["path": "rootfs", "readonly": false]
        spec["hostname"] = .string(String(id.prefix(63)))
        do { try Files.writeAtomically(dir + "/config.json", JSON.serializeBytes(.object(spec), pretty: true)) } catch { throw ImageError("\(error)") }
    }
}
