import JSON
import Runtime

let listCommand = Command(
    name: "list", usage: "[--format table|json] [-q]", summary: "List the containers under --root.",
    options: [
        .init(names: ["format", "f"], takesValue: true, help: "table (default) or json"),
        .init(names: ["quiet", "q"], takesValue: false, help: "print only the container IDs"),
    ]
) { args, ctx in
    let items = ctx.runtime.list()
    if args.flag("quiet") {
        for item in items { print(item.record.id) }
        return 0
    }
    switch args.value("format") ?? "table" {
    case "json":
        let array: [JSONValue] = items.map { item in
            var o = JSONObject()
            o["ociVersion"] = .string(item.record.ociVersion)
            o["id"] = .string(item.record.id)
            o["pid"] = .int(item.status == .stopped ? 0 : item.record.pid)
            o["status"] = .string(item.status.rawValue)
            o["bundle"] = .string(item.record.bundle)
            o["rootfs"] = .string(item.record.rootfs)
            o["created"] = .string(item.record.created)
            o["owner"] = .string(item.record.owner == 0 ? "root" : String(item.record.owner))
            return .object(o)
        }
        print(JSON.serialize(.array(array)))
    case "table":
        let rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]] + items.map { item in
            [item.record.id, String(item.status == .stopped ? 0 : item.record.pid), item.status.rawValue,
             item.record.bundle, item.record.created, item.record.owner == 0 ? "root" : String(item.record.owner)]
        }
        let widths = (0..<6).map { c in rows.map { $0[c].count }.max()! + 2 }
        for row in rows {
            var line = ""
            for c in 0..<6 { line += c == 5 ? row[c] : row[c].padding(widths[c]) }
            print(line)
        }
    case let other:
        throw UsageError("list: unknown --format \"\(other)\" (table or json)")
    }
    return 0
}
