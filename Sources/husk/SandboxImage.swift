import Images
import Runtime

/// `husk sandbox --image REF`: the image's layer snapshots become the overlay's lower layers
/// (each unpacked once in the store, shared by every sandbox), and its config supplies the
/// environment, working directory and user unless the command line gives them. The composing
/// happens here, where both Images and Runtime are known; Runtime never imports Images.
/// Returns the store's shared lease: held while the sandbox runs, `image prune` cannot sweep
/// the snapshots under it (even if the image's name is removed meanwhile).
func applyImage(_ name: String, storage: String, to o: inout SandboxOptions, workdirGiven: Bool, userGiven: Bool) throws(HuskError) -> StoreLock {
    func fail(_ message: String) -> HuskError { HuskError("sandbox: --image \(name): " + message, exitCode: SandboxExit.failure) }
    let lease: StoreLock
    do throws(ImageError) {
        let store = try ContentStore(root: storage)
        lease = try store.lease()
        guard let ref = try store.resolve(name) else { throw ImageError("not found in \(store.root) (see 'husk image ls'; import it with 'husk image import')") }
        let image = try StoredImage.load(store, ref)
        o.layers = try Snapshots(store: store).prepare(image)
        o.imageName = ref.name
        // The image's environment first: --env and --env-file entries replace its values.
        o.env = image.config.env + o.env
        if !workdirGiven && !image.config.workingDir.isEmpty { o.workdir = image.config.workingDir }
        if !userGiven && !image.config.user.isEmpty {
            let parts = image.config.user.split(separator: ":", maxSplits: 1)
            guard let uid = UInt32(parts[0]), parts.count == 1 || UInt32(parts[1]) != nil else {
                throw ImageError("config.User \"\(image.config.user)\" is not numeric UID[:GID]; pass --user")
            }
            o.uid = uid
            o.gid = parts.count == 2 ? UInt32(parts[1])! : uid
        }
    } catch {
        throw fail(error.message)
    }
    if o.layers.isEmpty { throw fail("the image has no layers") }
    return lease
}
