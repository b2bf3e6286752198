import Glibc
import JSON
import OCI
import Runtime
import Sys

let specCommand = Command(
    name: "spec", usage: "[--rootless] [--bundle DIR]",
    summary: "Write a default config.json (like runc spec) into the bundle directory.",
    options: [
        .init(names: ["bundle", "b"], takesValue: true, help: "bundle directory (default: current directory)"),
        .init(names: ["rootless"], takesValue: false, help: "a config for running as an unprivileged user"),
    ]
) { args, _ in
    let dir = Files.absolute(args.value("bundle") ?? ".")
    let path = dir + "/config.json"
    if Files.exists(path) { throw HuskError("spec: \(path) already exists; remove it first") }
    let doc = DefaultSpec.make(rootless: args.flag("rootless"), uid: getuid(), gid: getgid())
    do throws(SysError) {
        try Files.write(path, JSON.serialize(doc, pretty: true) + "\n", flags: O_WRONLY | O_CREAT | O_EXCL)
    } catch {
        throw HuskError(error, stage: "spec")
    }
    return 0
}

let featuresCommand = Command(
    name: "features", usage: "", summary: "Print the OCI features document (what this husk supports).", options: []
) { _, _ in
    print(JSON.serialize(HuskFeatures.document(), pretty: true))
    return 0
}
