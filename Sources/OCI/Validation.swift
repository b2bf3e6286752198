// Checks of a decoded Spec against the rules of runtime-spec. Pure: no filesystem access, so the
// same config gives the same answer on any host.

extension Spec {
    /// Throws the first rule the config breaks, naming the field.
    public func validate() throws(SpecError) {
        if let first = validationErrors().first { throw first }
    }

    /// Every rule the config breaks, in document order.
    public func validationErrors() -> [SpecError] {
        var check = Checker()
        check.version(ociVersion)
        check.root(root)
        if let process { check.within("process") { $0.process(process) } }
        for (position, mount) in mounts.enumerated() {
            check.within("mounts", position) { $0.mount(mount) }
        }
        if let hooks { check.within("hooks") { $0.hooks(hooks) } }
        if let linux { check.within("linux") { $0.linux(linux) } }
        return check.errors
    }
}

/// Accumulates errors while walking the config; `within` scopes the field path.
struct Checker {
    var errors: [SpecError] = []
    private var path: [FieldPathComponent] = []

    mutating func within(_ key: String, _ body: (inout Checker) -> Void) {
        path.append(.key(key))
        body(&self)
        path.removeLast()
    }

    mutating func within(_ key: String, _ position: Int, _ body: (inout Checker) -> Void) {
        path.append(.key(key))
        path.append(.index(position))
        body(&self)
        path.removeLast(2)
    }

    /// Records a problem at the current path plus `field` (nil: the current path itself).
    mutating func fail(_ field: String?, _ message: String) {
        errors.append(SpecError(path: path + (field.map { [.key($0)] } ?? []), .invalid(message)))
    }

    mutating func fail(_ field: String, _ position: Int, _ message: String) {
        errors.append(SpecError(path: path + [.key(field), .index(position)], .invalid(message)))
    }

    mutating func requireAbsolute(_ value: String, _ field: String?) {
        if value.isEmpty {
            fail(field, "must not be empty")
        } else if !value.hasPrefix("/") {
            fail(field, "must be an absolute path, found \(quoted(value))")
        }
    }

    // MARK: Top level

    mutating func version(_ version: String) {
        if version.isEmpty {
            fail("ociVersion", "required field is missing")
        } else if OCIVersion.parse(version) == nil {
            fail("ociVersion", "\(quoted(version)) is not a semantic version like \"1.2.0\"")
        } else if !OCIVersion.isSupported(version) {
            fail("ociVersion", "unsupported version \(quoted(version)), husk supports 1.x (\(OCIVersion.minimum) to \(OCIVersion.current))")
        }
    }

    mutating func root(_ root: Root?) {
        guard let root else { return fail("root", "required field is missing") }
        if root.path.isEmpty { within("root") { $0.fail("path", "must not be empty") } }
    }

    mutating func mount(_ mount: Mount) {
        requireAbsolute(mount.destination, "destination")
        if mount.uidMappings != nil || mount.gidMappings != nil {
            if (mount.uidMappings ?? []).isEmpty != (mount.gidMappings ?? []).isEmpty {
                fail(nil, "uidMappings and gidMappings must be given together")
            }
            idMappings(mount.uidMappings ?? [], "uidMappings")
            idMappings(mount.gidMappings ?? [], "gidMappings")
        }
    }

    mutating func hooks(_ hooks: Hooks) {
        for (name, list) in hooks.namedLists {
            for (position, hook) in list.enumerated() {
                within(name, position) { check in
                    check.requireAbsolute(hook.path, "path")
                    if let timeout = hook.timeout, timeout <= 0 {
                        check.fail("timeout", "must be greater than zero, found \(timeout)")
                    }
                }
            }
        }
    }
}
