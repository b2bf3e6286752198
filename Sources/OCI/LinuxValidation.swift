// Rules for config.json `linux`.

extension Checker {
    static let deviceTypes: Set<String> = ["c", "b", "u", "p"]
    static let timeOffsetClocks: Set<String> = ["monotonic", "boottime"]
    static let personalityDomains: Set<String> = ["LINUX", "LINUX32"]

    mutating func linux(_ linux: Linux) {
        namespaces(linux.namespaces)
        let hasUserNamespace = linux.namespace(.user) != nil
        if !linux.uidMappings.isEmpty && !hasUserNamespace {
            fail("uidMappings", "requires a user namespace in linux.namespaces")
        }
        if !linux.gidMappings.isEmpty && !hasUserNamespace {
            fail("gidMappings", "requires a user namespace in linux.namespaces")
        }
        idMappings(linux.uidMappings, "uidMappings")
        idMappings(linux.gidMappings, "gidMappings")
        if !linux.timeOffsets.isEmpty {
            if linux.namespace(.time) == nil { fail("timeOffsets", "requires a time namespace in linux.namespaces") }
            for clock in linux.timeOffsets.keys.sorted() where !Checker.timeOffsetClocks.contains(clock) {
                within("timeOffsets") { $0.fail(clock, "unknown clock, expected \"monotonic\" or \"boottime\"") }
            }
        }
        for (position, device) in linux.devices.enumerated() {
            within("devices", position) { $0.device(device) }
        }
        for name in linux.sysctl.keys.sorted() where !Checker.isValidSysctlName(name) {
            within("sysctl") { $0.fail(name, "invalid sysctl name") }
        }
        if let propagation = linux.rootfsPropagation, MountOptions.propagationOptions[propagation] == nil {
            fail("rootfsPropagation", "unknown propagation \(quoted(propagation))")
        }
        for (position, path) in linux.maskedPaths.enumerated() where !path.hasPrefix("/") {
            fail("maskedPaths", position, "must be an absolute path, found \(quoted(path))")
        }
        for (position, path) in linux.readonlyPaths.enumerated() where !path.hasPrefix("/") {
            fail("readonlyPaths", position, "must be an absolute path, found \(quoted(path))")
        }
        if let seccomp = linux.seccomp { within("seccomp") { $0.seccomp(seccomp) } }
        if let personality = linux.personality, !Checker.personalityDomains.contains(personality.domain) {
            within("personality") { $0.fail("domain", "unknown domain \(quoted(personality.domain)), expected \"LINUX\" or \"LINUX32\"") }
        }
    }

    mutating func namespaces(_ namespaces: [LinuxNamespace]) {
        var seen: Set<String> = []
        for (position, namespace) in namespaces.enumerated() {
            within("namespaces", position) { check in
                if namespace.kind == nil {
                    check.fail("type", "unknown namespace type \(quoted(namespace.type))")
                } else if !seen.insert(namespace.type).inserted {
                    check.fail("type", "duplicate namespace \(quoted(namespace.type))")
                }
                if let path = namespace.path { check.requireAbsolute(path, "path") }
            }
        }
    }

    mutating func device(_ device: LinuxDevice) {
        if !Checker.deviceTypes.contains(device.type) {
            fail("type", "unknown device type \(quoted(device.type)), expected c, b, u or p")
        } else if device.type != "p" {
            if device.major == nil { fail("major", "required for device type \(quoted(device.type))") }
            if device.minor == nil { fail("minor", "required for device type \(quoted(device.type))") }
        }
        requireAbsolute(device.path, "path")
    }

    /// A sysctl name is a dotted (or slashed) path below /proc/sys; it must not escape it.
    static func isValidSysctlName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("..")
            && !name.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F }
    }

    mutating func seccomp(_ seccomp: LinuxSeccomp) {
        if !LinuxSeccomp.knownActions.contains(seccomp.defaultAction) {
            fail("defaultAction", "unknown seccomp action \(quoted(seccomp.defaultAction))")
        }
        for (position, arch) in seccomp.architectures.enumerated() where !LinuxSeccomp.knownArchitectures.contains(arch) {
            fail("architectures", position, arch.isEmpty ? "must not be empty" : "unknown architecture \(quoted(arch))")
        }
        if seccomp.listenerMetadata != nil && seccomp.listenerPath == nil {
            fail("listenerMetadata", "must not be set without listenerPath")
        }
        for (position, rule) in seccomp.syscalls.enumerated() {
            within("syscalls", position) { check in
                if rule.names.isEmpty { check.fail("names", "must name at least one syscall") }
                if !LinuxSeccomp.knownActions.contains(rule.action) {
                    check.fail("action", "unknown seccomp action \(quoted(rule.action))")
                }
                for (argPosition, arg) in rule.args.enumerated() {
                    check.within("args", argPosition) { check in
                        if !LinuxSeccomp.knownOperators.contains(arg.op) {
                            check.fail("op", "unknown seccomp operator \(quoted(arg.op))")
                        }
                        if arg.index > 5 { check.fail("index", "must be between 0 and 5, found \(arg.index)") }
                    }
                }
            }
        }
    }
}
