import JSON

/// One entry of config.json `mounts`.
public struct Mount: Sendable, Equatable {
    /// Absolute path inside the container.
    public var destination: String
    /// Filesystem type, e.g. "proc", "tmpfs", "bind", "none".
    public var type: String?
    /// Device, directory or pseudo-source name.
    public var source: String?
    /// Mount options: flags (see `MountOptions`) and filesystem data.
    public var options: [String] = []
    /// Id-mapped mount mappings.
    public var uidMappings: [LinuxIDMapping]?
    public var gidMappings: [LinuxIDMapping]?

    /// A mount of `source` on `destination`.
    public init(destination: String, type: String? = nil, source: String? = nil, options: [String] = []) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
    }

    /// Decodes one element of `mounts`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        destination = try reader.required("destination", Decode.string)
        type = try reader.optional("type", Decode.string)
        source = try reader.optional("source", Decode.string)
        options = try reader.optional("options", Decode.strings) ?? []
        uidMappings = try reader.optional("uidMappings", Decode.array(of: LinuxIDMapping.init(json:)))
        gidMappings = try reader.optional("gidMappings", Decode.array(of: LinuxIDMapping.init(json:)))
    }
}
