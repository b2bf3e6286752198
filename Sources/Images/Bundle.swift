import Glibc
import JSON
import OCI
import Sys

/// What `husk run IMAGE` asks for on top of the image config.
public struct BundleRequest {
    public struct Volume: Sendable, Equatable {
        public var source: String, destination: String, readOnly: Bool
        public init(source: String, destination: String, readOnly: Bool) {
            self.source = source; self.destination = destination; self.readOnly = readOnly
        }
    }
    public struct Identity: Sendable, Equatable {
        public var uid: UInt32, gid: UInt32, additionalGids: [UInt32]
        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32]) { self.uid = uid; self.gid = gid; self.additionalGids = additionalGids }
    }

    public var args: [String] = []
    public var env: [String] = []
    public var cwd: String?
    /// -u: overrides the image's User.
    public var user: String?
    /// -v SRC:DST[:ro] binds.
    public var volumes: [Volume] = []
    public var hostNetwork = false
    public var memoryLimit: Int64?
    public var terminal = false
    /// Resolves a user spec ("name", "uid:gid", …) in the mounted rootfs; `what` names the source for errors.
    public var resolveUser: (_ spec: String, _ rootfs: String, _ what: String) throws(ImageError) -> Identity = { spec, _, what throws(ImageError) in
        throw ImageError("\(what) \"\(spec)\": no user resolver")
    }

    public init() {}
}

/// Container bundles (`containers/<id>`): `image.json` (which image, so prune keeps its blobs and
/// snapshots while the container exists), config.json from the image config and the request,
/// rootfs an overlay of the snapshots plus the container's own upper dir (a copy when overlayfs
/// is not available), one dir per image volume under `volumes/`.
extension Snapshots {
    public static let bundleMarker = "image.json"

    public func containerDir(_ id: String) -> String { store.root + "/containers/" + id }

    public func makeBundle(id: String, image: StoredImage, _ request: BundleRequest) throws(ImageError) -> String {
        let lease = try store.lease()
        defer { withExtendedLifetime(lease) {} }
        let dir = containerDir(id)
        if Files.exists(dir) { throw ImageError("container \(id): \(dir) already exists") }
        let rootfs = dir + "/rootfs"
        do {
            for d in [rootfs, dir + "/upper", dir + "/work"] { try Files.makeDirectories(d) }
            let marker: JSONValue = ["image": .string(image.ref.name), "manifest": .string(image.ref.digest.description)]
            try Files.writeAtomically(dir + "/" + Self.bundleMarker, JSON.serializeBytes(marker))
        } catch {
            try? Files.removeTree(dir)
            throw ImageError("container \(id): \(error)")
        }
        do throws(ImageError) {
            let lowers = try prepare(image)
            let options = "lowerdir=" + lowers.reversed().joined(separator: ":") + ",upperdir=\(dir)/upper,workdir=\(dir)/work"
            if lowers.isEmpty || mount("overlay", rootfs, "overlay", 0, options) != 0 {
                for i in image.manifest.layers.indices { try unpackLayer(image, i, into: rootfs, whiteouts: .apply) }
            }
            try writeConfig(dir, id: id, image: image, request)
        } catch {
            Self.removeBundle(at: dir)
            throw error
        }
        return dir
    }

    /// Unmounts and removes an image bundle; any other directory (a runc bundle) is left alone.
    /// True when `dir` was an image bundle.
    @discardableResult
    public static func removeBundle(at dir: String) -> Bool {
        guard isImageBundle(dir) else { return false }
        while umount2(dir + "/rootfs", Int32(MNT_DETACH)) == 0 {}
        try? Files.removeTree(dir)
        return true
    }

    /// `<store>/containers/<id>` of a store (beside `blobs/sha256`) holding the marker husk
    /// writes first: a runc bundle is never mistaken for one.
    public static func isImageBundle(_ dir: String) -> Bool {
        let parts = Files.absolute(dir).split(separator: "/")
        guard parts.count >= 2, parts[parts.count - 2] == "containers" else { return false }
        let store = "/" + parts.dropLast(2).joined(separator: "/")
        return Files.isDirectory(store + "/blobs/sha256") && bundleManifest(dir) != nil
    }

    /// The manifest an image bundle was made from.
    static func bundleManifest(_ dir: String) -> Digest? {
        guard let bytes = try? Files.read(dir + "/" + bundleMarker), let v = try? JSON.parse(bytes),
              let s = v["manifest"]?.string else { return nil }
        return try? Digest(parsing: s)
    }

    private func writeConfig(_ dir: String, id: String, image: StoredImage, _ r: BundleRequest) throws(ImageError) {
        let c = image.config
        let argv = r.args.isEmpty ? c.entrypoint + c.cmd : (c.entrypoint + r.args)
        if argv.isEmpty { throw ImageError("image \(image.ref.name): no command (the config has neither Entrypoint nor Cmd); give one after the image name") }
        var environment = c.env.isEmpty ? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] : c.env
        for e in r.env {
            let key = e.split(separator: "=", maxSplits: 1).first.map(String.init) ?? e
            environment.removeAll { $0.split(separator: "=", maxSplits: 1).first.map(String.init) == key }
            environment.append(e)
        }
        if r.terminal && !environment.contains(where: { $0.hasPrefix("TERM=") }) { environment.append("TERM=xterm") }
        var identity = BundleRequest.Identity(uid: 0, gid: 0, additionalGids: [])
        if let user = r.user, !user.isEmpty {
            identity = try r.resolveUser(user, dir + "/rootfs", "--user")
        } else if !c.user.isEmpty {
            identity = try r.resolveUser(c.user, dir + "/rootfs", "image \(image.ref.name): config.User")
        }
        guard case .object(var spec) = DefaultSpec.make(rootless: false, args: argv, terminal: r.terminal,
                                                        seccompX32: Kernel.runsX32Syscalls) else { return }
        if case .object(var process)? = spec["process"] {
            process["env"] = .array(environment.map { .string($0) })
            process["cwd"] = .string(r.cwd ?? (c.workingDir.isEmpty ? "/" : c.workingDir))
            var user: JSONObject = ["uid": .int(Int64(identity.uid)), "gid": .int(Int64(identity.gid))]
            if !identity.additionalGids.isEmpty { user["additionalGids"] = .array(identity.additionalGids.map { .int(Int64($0)) }) }
            process["user"] = .object(user)
            spec["process"] = .object(process)
        }
        spec["root"] = ["path": "rootfs", "readonly": false]
        spec["hostname"] = .string(String(id.prefix(63)))
        spec["mounts"] = .array((spec["mounts"]?.array ?? []) + (try volumeMounts(dir, image: image, r)))
        if case .object(var linux)? = spec["linux"] {
            if r.hostNetwork {
                linux["namespaces"] = .array((linux["namespaces"]?.array ?? []).filter { $0["type"]?.string != "network" })
            }
            if let limit = r.memoryLimit, case .object(var resources)? = linux["resources"] {
                resources["memory"] = ["limit": .int(limit)]
                linux["resources"] = .object(resources)
            }
            spec["linux"] = .object(linux)
        }
        var annotations: JSONObject = ["org.opencontainers.image.ref.name": .string(image.ref.name),
                                       "io.husk.image.manifest": .string(image.ref.digest.description)]
        if !c.stopSignal.isEmpty { annotations["org.opencontainers.image.stopSignal"] = .string(c.stopSignal) }
        spec["annotations"] = .object(annotations)
        do { try Files.writeAtomically(dir + "/config.json", JSON.serializeBytes(.object(spec), pretty: true)) } catch { throw ImageError("\(error)") }
    }

    /// -v binds, then each image volume not covered by one: a fresh dir under the bundle, bound
    /// over the overlay (starts empty: the image's content at that path is not copied in).
    /// With host networking the host's /etc/resolv.conf and /etc/hosts are bound read-only.
    private func volumeMounts(_ dir: String, image: StoredImage, _ r: BundleRequest) throws(ImageError) -> [JSONValue] {
        var out: [JSONValue] = []
        func bind(_ source: String, _ destination: String, readOnly: Bool) -> JSONValue {
            ["destination": .string(destination), "type": "bind", "source": .string(source),
             "options": .array((["rbind", "nosuid", "nodev"] + (readOnly ? ["ro"] : [])).map { .string($0) })]
        }
        for v in r.volumes {
            guard Files.exists(v.source) else { throw ImageError("-v \(v.source):\(v.destination): \(v.source) does not exist") }
            out.append(bind(Files.absolute(v.source), v.destination, readOnly: v.readOnly))
        }
        for (i, path) in image.config.volumes.enumerated() where !r.volumes.contains(where: { $0.destination == path }) {
            guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw ImageError("image \(image.ref.name): config.Volumes \"\(path)\": not an absolute path without \"..\"")
            }
            let source = dir + "/volumes/\(i)"
            do { try Files.makeDirectories(source) } catch { throw ImageError("volume \(path): \(error)") }
            out.append(bind(source, path, readOnly: false))
        }
        if r.hostNetwork {
            for f in ["/etc/resolv.conf", "/etc/hosts"] where Files.exists(f) { out.append(bind(f, f, readOnly: true)) }
        }
        return out
    }
}
