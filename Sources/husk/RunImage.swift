import Glibc
import Images
import Runtime
import Sys

/// Options of `husk run IMAGE` only (refused in bundle mode).
let imageRunOptions: [Arguments.Option] = [
    .init(names: ["rm"], takesValue: false, help: "image run with -d: delete the container when it exits"),
    .init(names: ["env", "e"], takesValue: true, help: "image run: set an environment variable K=V (repeatable)"),
    .init(names: ["cwd", "workdir", "w"], takesValue: true, help: "image run: working directory"),
    .init(names: ["user", "u"], takesValue: true, help: "image run: USER, UID, USER:GROUP or UID:GID from the image's /etc/passwd and /etc/group"),
    .init(names: ["volume", "v"], takesValue: true, help: "image run: bind SRC:DST[:ro] (repeatable)"),
    .init(names: ["network"], takesValue: true, help: "image run: none (default: own namespace, loopback only) or host"),
    .init(names: ["memory", "m"], takesValue: true, help: "image run: memory limit (e.g. 64m, 1g)"),
    .init(names: ["tty", "t", "it", "ti"], takesValue: false, help: "image run: a terminal for the process (foreground)"),
    .init(names: ["interactive", "i"], takesValue: false, help: "image run: accepted (stdin is always passed in the foreground)"),
    .init(names: ["name"], takesValue: true, help: "image run: container ID (default: random)"),
]

/// The rule: container IDs never contain ':', '/' or '@' (ContainerID), image references that
/// name a stored image always can be written with one of them.
func isImageReference(_ word: String) -> Bool {
    word.contains(":") || word.contains("/") || word.contains("@")
}

/// A bundle run whose bundle has no config.json, named like a stored image: say how to run the image.
func hintImageForMissingBundle(_ id: String, _ bundle: String, _ ctx: Context) throws {
    guard !Files.exists(bundle + "/config.json"), Files.exists(ctx.storage + "/refs.json"),
          let store = try? ContentStore(root: ctx.storage), let ref = try? store.resolve(id) else { return }
    throw UsageError("no config.json in bundle \(Files.absolute(bundle)) for container \"\(id)\"; to run image \(ref.name), write 'husk run \(ref.name)' (an image reference needs ':', '/' or '@')")
}

/// `husk run IMAGE [CMD…]`: a bundle in containers/<id> over the image's snapshots, run through Runtime.run.
func runImage(_ name: String, _ args: Arguments, _ ctx: Context) throws -> Int32 {
    if args.value("bundle") != nil {
        throw UsageError("--bundle runs a bundle by container ID, but \"\(name)\" is an image reference (container IDs never contain ':', '/' or '@')")
    }
    let detach = args.flag("detach")
    var options = try createOptionsFrom(args)
    if args.flag("rm") && detach && !wantsSupervisor(args, options) {
        throw UsageError("--rm with -d needs the supervisor (without --no-supervisor, --console-socket or --preserve-fds)")
    }
    let request = try bundleRequest(args)
    let store = try ContentStore(root: ctx.storage)
    let image = try StoredImage.load(store, try findImage(store, name))
    let id = args.value("name") ?? randomID()
    try ContainerID.validate(id)
    if Files.exists(ctx.root + "/" + id) { throw HuskError("container \"\(id)\" already exists") }
    let bundle = try Snapshots(store: store).makeBundle(id: id, image: image, request)
    options.bundle = bundle
    let code: Int32
    do {
        if detach && wantsSupervisor(args, options) { code = try runSupervised(id, options, args, ctx) }
        else { code = try ctx.runtime.run(id, options, detach: detach) }
    } catch {
        Snapshots.removeBundle(at: bundle)
        throw error
    }
    // In the foreground the container is deleted at exit (runc's run): its rootfs goes too.
    if !detach { Snapshots.removeBundle(at: bundle) }
    return code
}

func bundleRequest(_ args: Arguments) throws -> BundleRequest {
    var r = BundleRequest()
    r.args = Array(args.positionals.dropFirst())
    r.env = args.all("env")
    r.cwd = args.value("cwd")
    r.user = args.value("user")
    r.terminal = args.flag("tty")
    for v in args.all("volume") {
        let parts = v.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || (parts.count == 3 && (parts[2] == "ro" || parts[2] == "rw")),
              !parts[0].isEmpty, parts[1].hasPrefix("/") else {
            throw UsageError("-v \(v): expected SRC:DST[:ro|rw] with DST an absolute path")
        }
        r.volumes.append(.init(source: parts[0], destination: parts[1], readOnly: parts.count == 3 && parts[2] == "ro"))
    }
    switch args.value("network") {
    case nil, "none": break
    case "host": r.hostNetwork = true
    case let other?: throw UsageError("--network \(other): must be none or host")
    }
    if let m = args.value("memory") {
        guard let n = ResourceFlags.ramInBytes(m), n > 0 else { throw UsageError("--memory \(m): not a size (e.g. 64m, 1g)") }
        r.memoryLimit = n
    }
    r.resolveUser = { spec, rootfs, what throws(ImageError) in
        do {
            let id = try ContainerUsers.identity(spec, rootfs: rootfs, what: what)
            return .init(uid: id.uid, gid: id.gid, additionalGids: id.additionalGids)
        } catch {
            throw ImageError("\(error)")
        }
    }
    return r
}

func randomID() -> String {
    let digits = Array("0123456789abcdef")
    return String((0..<16).map { _ in digits[Int.random(in: 0..<16)] })
}
