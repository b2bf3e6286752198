/// v1 devices controller, as runc did before its emulator: deny everything, then replay the
/// config's rules in order, then allow the devices every container gets (runc's AllowedDevices).
enum V1Devices {
    static let defaultAllowed: [Resources.DeviceRule] = [
        .init(allow: true, type: "c", major: nil, minor: nil, access: "m"),
        .init(allow: true, type: "b", major: nil, minor: nil, access: "m"),
        .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),    // /dev/null
        .init(allow: true, type: "c", major: 1, minor: 8, access: "rwm"),    // /dev/random
        .init(allow: true, type: "c", major: 1, minor: 7, access: "rwm"),    // /dev/full
        .init(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),    // /dev/tty
        .init(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),    // /dev/zero
        .init(allow: true, type: "c", major: 1, minor: 9, access: "rwm"),    // /dev/urandom
        .init(allow: true, type: "c", major: 136, minor: nil, access: "rwm"),  // /dev/pts/*
        .init(allow: true, type: "c", major: 5, minor: 2, access: "rwm"),    // /dev/ptmx
        .init(allow: true, type: "c", major: 10, minor: 200, access: "rwm"), // /dev/net/tun
    ]

    static func apply(_ rules: [Resources.DeviceRule], _ dir: String) throws(CgroupError) {
        try Knob.set(dir, "devices.deny", "a", field: "devices")
        for (i, rule) in (rules + defaultAllowed).enumerated() {
            let field = i < rules.count ? "devices[\(i)]" : "devices (default allow \(rule.v1Line))"
            try Knob.set(dir, rule.allow ? "devices.allow" : "devices.deny", rule.v1Line, field: field)
        }
    }
}
