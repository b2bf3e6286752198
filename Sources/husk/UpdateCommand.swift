import JSON
import Runtime
import Sys

let updateCommand = Command(
    name: "update", usage: "[options] CONTAINER_ID",
    summary: "Change a container's resource limits (a linux.resources JSON with --resources, and/or flags).",
    options: [
        .init(names: ["resources", "r"], takesValue: true, help: "linux.resources JSON file ('-' = stdin); flags override it"),
        .init(names: ["memory"], takesValue: true, help: "memory limit in bytes (k/m/g/t/p suffixes, -1 = unlimited)"),
        .init(names: ["memory-swap"], takesValue: true, help: "memory+swap limit (same forms)"),
        .init(names: ["memory-reservation"], takesValue: true, help: "memory soft limit (same forms)"),
        .init(names: ["kernel-memory"], takesValue: true, help: "ignored by current kernels, as in runc"),
        .init(names: ["kernel-memory-tcp"], takesValue: true, help: "kernel TCP buffer limit (v1)"),
        .init(names: ["cpu-shares", "cpu-share"], takesValue: true, help: "CPU shares (relative weight)"),
        .init(names: ["cpu-period"], takesValue: true, help: "CFS period in µs"),
        .init(names: ["cpu-quota"], takesValue: true, help: "CFS quota in µs per period (-1 = unlimited)"),
        .init(names: ["cpu-rt-period"], takesValue: true, help: "real-time period in µs (v1)"),
        .init(names: ["cpu-rt-runtime"], takesValue: true, help: "real-time runtime in µs (v1)"),
        .init(names: ["cpuset-cpus"], takesValue: true, help: "CPUs to run on, e.g. 0-1"),
        .init(names: ["cpuset-mems"], takesValue: true, help: "memory nodes, e.g. 0"),
        .init(names: ["pids-limit"], takesValue: true, help: "maximum number of tasks (-1 = unlimited)"),
        .init(names: ["blkio-weight"], takesValue: true, help: "block IO weight (10-1000)"),
        .init(names: ["l3-cache-schema"], takesValue: true, help: "Intel RDT (not supported)"),
        .init(names: ["mem-bw-schema"], takesValue: true, help: "Intel RDT (not supported)"),
    ]
) { args, ctx in
    let id = try Command.positionals(args, "CONTAINER_ID", command: "update")[0]
    for rdt in ["l3-cache-schema", "mem-bw-schema"] where args.value(rdt) != nil {
        throw HuskError("update --\(rdt): Intel RDT is not supported by husk")
    }
    var base: JSONValue? = nil
    if let source = args.value("resources") {
        let path = source == "-" ? "/dev/stdin" : Files.absolute(source)
        let bytes: [UInt8]
        do {
            bytes = try Files.read(path)
        } catch {
            throw HuskError("--resources: \(error)")
        }
        do throws(JSONError) {
            base = try JSON.parse(bytes)
        } catch {
            throw HuskError("--resources: invalid JSON at line \(error.line), column \(error.column): \(error.reason)")
        }
    }
    // "cpu-share" is stored under its first name, "cpu-shares".
    let flags = ResourceFlags.table.compactMap { entry in args.value(entry.flag).map { (name: entry.flag, value: $0) } }
    if base == nil && flags.isEmpty {
        throw UsageError("'husk update' needs --resources FILE or at least one limit flag (see 'husk update --help')")
    }
    try ctx.runtime.update(id, resources: try ResourceFlags.merge(base, flags: flags))
    return 0
}
