import Glibc
import Images
import Runtime

/// `husk image import|export|ls|rm|prune`: the content store under --storage (HUSK_STORAGE, /var/lib/husk).
let imageCommand = Command(
    name: "image", usage: "import PATH [--name NAME] | pull [options] REF | export [--format oci-dir|oci-archive] NAME DEST | ls | rm NAME... | prune",
    summary: "Manage images: import an OCI layout, OCI archive or docker-archive; pull from a registry (see 'husk pull --help'); export; list; remove; prune unused blobs and snapshots.",
    options: [], stopAtFirstPositional: true,
    extraHelp: """

    export writes an OCI image layout: a directory (--format oci-dir; the default) or a tar of one
    (--format oci-archive; the default when DEST ends in .tar). DEST must not exist (an empty
    directory is fine for oci-dir).
    rm removes names only; blobs and snapshots go with 'image prune', which keeps everything a
    name or an existing container (husk run IMAGE) still uses, and reports what it freed.
    Aliases: 'husk images' = 'husk image ls', 'husk rmi NAME...' = 'husk image rm NAME...'.

    """
) { args, ctx in
    let words = args.positionals
    guard let sub = words.first else { throw UsageError("'husk image' needs a subcommand: import, pull, export, ls, rm, prune") }
    let rest = words.dropFirst()
    let store = try ContentStore(root: ctx.storage)
    switch sub {
    case "import":
        let a = try Arguments(rest, options: [.init(names: ["name"], takesValue: true, help: "name for the image")], command: "image import")
        guard let path = a.positionals.first else { throw UsageError("'husk image import' needs PATH") }
        for ref in try Importer(store: store).importPath(path, name: a.value("name")) {
            print("imported \(ref.name) \(ref.digest)")
        }
        return 0
    case "export":
        let a = try Arguments(rest, options: [.init(names: ["format"], takesValue: true, help: "oci-dir or oci-archive")], command: "image export")
        guard a.positionals.count == 2 else { throw UsageError("'husk image export' needs NAME and DEST (usage: husk image export [--format oci-dir|oci-archive] NAME DEST)") }
        let ref = try findImage(store, a.positionals[0])
        let format = try Exporter.Format.choose(a.value("format"), dest: a.positionals[1])
        try Exporter(store: store).export(ref, to: a.positionals[1], format: format)
        print("exported \(ref.name) \(ref.digest) to \(a.positionals[1]) (\(format.rawValue))")
        return 0
    case "pull":
        let a = try Arguments(rest, options: pullOptions, command: "image pull")
        guard let ref = a.positionals.first else { throw UsageError("'husk image pull' needs REF") }
        return try pullImage(ref, a, ctx)
    case "ls", "list":
        listImages(store)
        return 0
    case "rm", "remove":
        guard !rest.isEmpty else { throw UsageError("'husk image rm' needs NAME") }
        try removeImages(store, Array(rest))
        return 0
    case "prune":
        let r = try Pruner(store: store).prune()
        print("pruned \(r.blobs) blobs (\(r.blobBytes) bytes), \(r.snapshots) snapshots (\(r.snapshotBytes) bytes); \(r.blobBytes + r.snapshotBytes) bytes freed")
        return 0
    default:
        throw UsageError("unknown 'husk image' subcommand \"\(sub)\" (import, pull, export, ls, rm, prune)")
    }
}

let imagesCommand = Command(
    name: "images", usage: "", summary: "List images (same as 'husk image ls').", options: []
) { _, ctx in
    listImages(try ContentStore(root: ctx.storage))
    return 0
}

let rmiCommand = Command(
    name: "rmi", usage: "NAME...", summary: "Remove image names (same as 'husk image rm'; 'husk image prune' frees the space).", options: []
) { args, ctx in
    guard !args.positionals.isEmpty else { throw UsageError("'husk rmi' needs NAME") }
    try removeImages(try ContentStore(root: ctx.storage), args.positionals)
    return 0
}

func findImage(_ store: ContentStore, _ name: String) throws -> ImageRef {
    guard let ref = try store.resolve(name) else { throw HuskError("image \(name): not found in \(store.root) (see 'husk images')") }
    return ref
}

func listImages(_ store: ContentStore) {
    print("NAME".padding(40) + "DIGEST".padding(20) + "SIZE")
    for ref in (try? store.refs()) ?? [] {
        let size = (try? StoredImage.load(store, ref).size) ?? ref.size
        print(ref.name.padding(40) + ref.digest.short.padding(20) + String(size))
    }
}

/// Names go; a container made from the image keeps its blobs and snapshots until it is deleted and pruned.
func removeImages(_ store: ContentStore, _ names: [String]) throws {
    let refs = try names.map { try findImage(store, $0) }
    try store.updateRefs { all in all.removeAll { r in refs.contains { $0.name == r.name } } }
    for ref in refs { print("removed \(ref.name)") }
}
