import JSON

/// The container configuration of config.json (runtime-spec 1.2, Linux fields).
public struct Spec: Sendable, Equatable {
    /// The runtime-spec version the document follows, e.g. "1.2.0"; empty if absent.
    public var ociVersion = ""
    /// The container process; absent for `create`-only configurations.
    public var process: Process?
    /// The root filesystem.
    public var root: Root?
    /// The container's hostname (UTS namespace).
    public var hostname: String?
    /// The container's NIS domain name (UTS namespace).
    public var domainname: String?
    /// Additional mounts, in order.
    public var mounts: [Mount] = []
    /// Lifecycle hooks.
    public var hooks: Hooks?
    /// Arbitrary metadata.
    public var annotations: [String: String] = [:]
    /// Linux-specific configuration.
    public var linux: Linux?

    /// An empty configuration, to fill in code.
    public init() {}

    /// Decodes a parsed config.json. Unknown fields are ignored; known fields of the wrong type are errors.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        ociVersion = try reader.optional("ociVersion", Decode.string) ?? ""
        process = try reader.optional("process", Process.init(json:))
        root = try reader.optional("root", Root.init(json:))
        hostname = try reader.optional("hostname", Decode.string)
        domainname = try reader.optional("domainname", Decode.string)
        mounts = try reader.optional("mounts", Decode.array(of: Mount.init(json:))) ?? []
        hooks = try reader.optional("hooks", Hooks.init(json:))
        annotations = try reader.optional("annotations", Decode.stringMap) ?? [:]
        linux = try reader.optional("linux", Linux.init(json:))
    }

    /// Parses and decodes config.json bytes; JSON syntax errors become `SpecError.Problem.invalidJSON`.
    public static func load(bytes: some Collection<UInt8>) throws(SpecError) -> Spec {
        let json: JSONValue
        do {
            json = try JSON.parse(bytes)
        } catch {
            throw SpecError(.invalidJSON(error))
        }
        return try Spec(json: json)
    }

    /// Parses and decodes config.json text.
    public static func parse(_ text: String) throws(SpecError) -> Spec {
        try load(bytes: text.utf8)
    }
}

/// The container's root filesystem.
public struct Root: Sendable, Equatable {
    /// The rootfs path, absolute or relative to the bundle.
    public var path = ""
    /// Mount the rootfs read-only.
    public var readonly = false

    /// A root at `path`.
    public init(path: String = "", readonly: Bool = false) {
        self.path = path
        self.readonly = readonly
    }

    /// Decodes `root`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        path = try reader.optional("path", Decode.string) ?? ""
        readonly = try reader.optional("readonly", Decode.bool) ?? false
    }
}
