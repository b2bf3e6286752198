import Glibc
import Images
import Runtime

/// `husk image import|ls|rm`: the content store under --storage (HUSK_STORAGE, /var/lib/husk).
let imageCommand = Command(
    name: "image", usage: "import PATH [--name NAME] | ls | rm NAME",
    summary: "Manage images: import an OCI layout, OCI archive or docker-archive; list; remove.",
    options: [], stopAtFirstPositional: true
) { args, ctx in
    let words = args.positionals
    guard let sub = words.first else { throw UsageError("'husk image' needs a subcommand: import, ls, rm") }
    let store = try ContentStore(root: ctx.storage)
    switch sub {
    case "import":
        let a = try Arguments(words.dropFirst(), options: [.init(names: ["name"], takesValue: true, help: "name for the image")], command: "image import")
        guard let path = a.positionals.first else { throw UsageError("'husk image import' needs PATH") }
        for ref in try Importer(store: store).importPath(path, name: a.value("name")) {
            print("imported \(ref.name) \(ref.digest)")
        }
        return 0
    case "ls", "list":
        print("NAME".padding(40) + "DIGEST".padding(20) + "SIZE")
        for ref in try store.refs() {
            let size = (try? StoredImage.load(store, ref).size) ?? ref.size
            print(ref.name.padding(40) + ref.digest.short.padding(20) + String(size))
        }
        return 0
    case "rm", "remove":
        guard words.count >= 2 else { throw UsageError("'husk image rm' needs NAME") }
        for name in words.dropFirst() {
            guard let ref = try store.resolve(name) else { throw HuskError("image \(name): not found in \(store.root)") }
            try store.updateRefs { refs in refs.removeAll { $0.name == ref.name } }
            print("removed \(ref.name)")
        }
        return 0
    default:
        throw UsageError("unknown 'husk image' subcommand \"\(sub)\" (import, ls, rm)")
    }
}

/// `husk run IMAGE [CMD…]`: a bundle in containers/<id> over the image's snapshots, run through Runtime.run.
func runImage(_ ref: ImageRef, _ args: Arguments, _ ctx: Context) throws -> Int32 {
    let store = try ContentStore(root: ctx.storage)
    let image = try StoredImage.load(store, ref)
    let id = args.value("name") ?? randomID()
    let snapshots = Snapshots(store: store)
    let bundle = try snapshots.makeBundle(id: id, image: image, args: Array(args.positionals.dropFirst()),
                                         env: args.all("env"), cwd: args.value("cwd"))
    var options = try createOptionsFrom(args)
    options.bundle = bundle
    let detach = args.flag("detach")
    let code: Int32
    do {
        if detach && wantsSupervisor(args, options) { code = try runSupervised(id, options, args, ctx) }
        else { code = try ctx.runtime.run(id, options, detach: detach) }
    } catch {
        snapshots.removeBundle(id: id)
        throw error
    }
    if args.flag("rm") && !detach { snapshots.removeBundle(id: id) }
    return code
}

func randomID() -> String {
    let digits = Array("0123456789abcdef")
    return String((0..<16).map { _ in digits[Int.random(in: 0..<16)] })
}
