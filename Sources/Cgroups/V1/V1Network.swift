/// v1 net_cls (classid) and net_prio (ifpriomap); there is no v2 equivalent.
enum V1Network {
    static func apply(_ n: Resources.Network, _ m: V1Manager) throws(CgroupError) {
        if let id = n.classID {
            try Knob.set(try m.required("net_cls", for: "network.classID"), "net_cls.classid", String(id), field: "network.classID")
        }
        if !n.priorities.isEmpty {
            let dir = try m.required("net_prio", for: "network.priorities")
            for (i, p) in n.priorities.enumerated() {
                try Knob.set(dir, "net_prio.ifpriomap", "\(p.name) \(p.priority)", field: "network.priorities[\(i)]")
            }
        }
    }
}
